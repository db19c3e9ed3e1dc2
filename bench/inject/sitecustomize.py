"""Bench probe, loaded into both servers (PYTHONPATH) for the kinds whose input inference-schema converts: the
thread CPU time of every call of a decorated run(), conversion and the user's code together, as it runs inside
the serving worker.

bench/conversion.py times the same call in a bare interpreter, where it runs in a warm loop; inside a server the
call shares the caches with the server's own code, and on a small request the difference is of the size of the
overhead the bench subtracts it from. Timing it where it runs answers "server CPU per request minus conversion
and run()" directly. Both servers get the same probe, so its own cost (two clock reads per call) is the same.

Nothing is imported early: the probe wraps inference-schema's decorator factory when the script first imports
inference-schema, so start-up and memory figures are not moved. Each process writes `<calls> <cpu ns>` to
`$BENCH_RUN_CPU_DIR/<pid>` every few calls (written whole, then renamed); the bench reads the files of a
server's processes before and after a wrk run.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import sys
import time
from typing import Any, Callable

_TARGET = "inference_schema.schema_decorators"
_EVERY = 32


class _Totals:
    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.calls = 0
        self.cpu_ns = 0
        self.depth = 0

    def add(self, cpu_ns: int) -> None:
        self.calls += 1
        self.cpu_ns += cpu_ns
        if self.calls % _EVERY == 0:
            path = os.path.join(self.directory, str(os.getpid()))
            with open(path + ".tmp", "w") as out:
                out.write(f"{self.calls} {self.cpu_ns}\n")
            os.replace(path + ".tmp", path)


def _timed(totals: _Totals, wrapper: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(wrapper)
    def timed(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        # Stacked decorators nest: only the outermost call is counted.
        totals.depth += 1
        started = time.thread_time_ns() if totals.depth == 1 else 0
        try:
            return wrapper(wrapped, instance, args, kwargs)
        finally:
            totals.depth -= 1
            if totals.depth == 0:
                totals.add(time.thread_time_ns() - started)

    return timed


def _patch(module: Any, totals: _Totals) -> None:
    factory = module._schema_decorator

    def schema_decorator(wrapper: Any = None, **options: Any) -> Any:
        if wrapper is None:
            return functools.partial(schema_decorator, **options)
        return factory(_timed(totals, wrapper), **options)

    module._schema_decorator = schema_decorator


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, totals: _Totals) -> None:
        self._inner = inner
        self._totals = totals

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._inner.exec_module(module)
        _patch(module, self._totals)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, totals: _Totals) -> None:
        self._totals = totals

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != _TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *a: None)(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, self._totals)
                return spec
        return None


_directory = os.environ.get("BENCH_RUN_CPU_DIR")
if _directory:
    sys.meta_path.insert(0, _Finder(_Totals(_directory)))
