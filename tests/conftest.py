"""Top-level test configuration: makes `support` importable and keeps server-sharing modules on one worker."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

# Modules whose tests share module- or session-scoped server processes: under `-n N` (xdist's default
# `load` distribution) each goes to one worker as a whole, so a shared server starts once, not per worker.
# The differential modules also share one reference venv build and their server pairs per module, and
# test_packaging.py one build of the wheel and its venv (half a minute).
# test_conformance_process.py starts a server per test, so its tests are better spread over the workers.
_GROUPED_MODULES = ("tests/server/test_conformance_", "tests/differential/test_", "tests/test_packaging.py")
_SPREAD_MODULES = frozenset({"tests/server/test_conformance_process.py"})


def _scope_of(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    grouped = module.startswith(_GROUPED_MODULES) and module not in _SPREAD_MODULES
    return module if grouped else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class _ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _scope_of(nodeid)

    return _ModuleScheduling(config, log)
