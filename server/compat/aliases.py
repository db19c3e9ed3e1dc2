"""Make the upstream import paths resolve to our modules, without installing or altering any `azureml` package.

A finder is appended to `sys.meta_path`: packages that really exist (an installed `azureml` namespace, say) are
found first by the normal finders, and only the names nobody else provides fall through to us. The two leaf
modules are the exception, as upstream registers them over whatever is installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Iterable, Mapping, Optional, Sequence

_LEAVES = {
    "azureml.contrib.services.aml_request": "azmlinfsrv.compat.aml_request",
    "azureml.contrib.services.aml_response": "azmlinfsrv.compat.aml_response",
    "azureml_inference_server_http.api.aml_request": "azmlinfsrv.compat.aml_request",
    "azureml_inference_server_http.api.aml_response": "azmlinfsrv.compat.aml_response",
    "azureml_inference_server_http.log_config": "azmlinfsrv.log_format",
}
_PARENTS = {
    "azureml",
    "azureml.contrib",
    "azureml.contrib.services",
    "azureml_inference_server_http",
    "azureml_inference_server_http.api",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: Optional[str]) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        # The target module itself, so that the alias and the real name are the same object.
        return importlib.import_module(self._target) if self._target else None

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `leaves` (alias name -> our module) and `parents` (empty packages that hold them)."""

    def __init__(self, name: str, leaves: Mapping[str, str], parents: Iterable[str] = ()) -> None:
        self.name = name
        self._leaves = dict(leaves)
        self._parents = frozenset(parents)

    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]],
        target: Optional[types.ModuleType] = None,
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname in self._leaves:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(self._leaves[fullname]))
        if fullname in self._parents:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(None), is_package=True)
        return None


def install_finder(finder: AliasFinder, first: bool) -> None:
    """Idempotent per finder name: safe to call from every worker."""
    if any(isinstance(f, AliasFinder) and f.name == finder.name for f in sys.meta_path):
        return
    if first:
        sys.meta_path.insert(0, finder)
    else:
        sys.meta_path.append(finder)


def install() -> None:
    install_finder(AliasFinder("azureml-modules", _LEAVES), first=True)
    install_finder(AliasFinder("azureml-packages", {}, _PARENTS), first=False)
