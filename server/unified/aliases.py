"""Make `import fastml_engine.modelservice` resolve to our module inside `fastml server`.

A meta-path finder rather than a real top-level `fastml_engine` package: a real one would clash, file for
file, with an installed fastml-engine distribution. The finder goes first on `sys.meta_path`, because inside
our server the engine is us: services must subclass our `BaseService` to be discovered, even when
fastml-engine itself happens to be installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Optional, Sequence

PACKAGE = "fastml_engine"
_MODULES = {f"{PACKAGE}.modelservice": "azmlinfsrv.unified.modelservice"}


class _Loader(importlib.abc.Loader):
    def __init__(self, target: Optional[str]) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        # The target module itself, so `fastml_engine.modelservice.BaseService is BaseService`.
        return importlib.import_module(self._target) if self._target else None

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class EngineAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]],
        target: Optional[types.ModuleType] = None,
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname == PACKAGE:
            return importlib.machinery.ModuleSpec(fullname, _Loader(None), is_package=True)
        if fullname in _MODULES:
            return importlib.machinery.ModuleSpec(fullname, _Loader(_MODULES[fullname]))
        return None


def install() -> None:
    """Idempotent; called in the `fastml server` process before any service is imported."""
    if not any(isinstance(finder, EngineAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, EngineAliasFinder())
