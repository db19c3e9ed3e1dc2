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
from typing import Optional, Sequence

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
        if self._target is None:
            return None
        return importlib.import_module(self._target)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]],
        target: Optional[types.ModuleType] = None,
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname in _LEAVES:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(_LEAVES[fullname]))
        if fullname in _PARENTS:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(None), is_package=True)
        return None


class _LeafFirstFinder(AliasFinder):
    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]],
        target: Optional[types.ModuleType] = None,
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname in _LEAVES:
            return super().find_spec(fullname, path, target)
        return None


def install() -> None:
    """Idempotent: safe to call from every worker."""
    if any(isinstance(f, AliasFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _LeafFirstFinder())
    sys.meta_path.append(AliasFinder())
