"""Shared server processes for the conformance checks (one per sample script and xdist worker)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SCRIPTS_DIR, RunningServer, start_server
from support.slow_clients import Pair, connected_pair


@pytest.fixture
def pair() -> Iterator[Pair]:
    """(client, server) ends of one TCP connection on the loopback interface."""
    with connected_pair() as ends:
        yield ends


@pytest.fixture(scope="session")
def app_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty working directory (the CLI's AML_APP_ROOT), so no stray config.json or module is picked up."""
    return tmp_path_factory.mktemp("app_root")


def _serve(script: str, app_root: Path) -> Iterator[RunningServer]:
    with start_server(SCRIPTS_DIR / script, cwd=app_root) as server:
        yield server


@pytest.fixture(scope="session")
def hello_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("hello.py", app_root)


@pytest.fixture(scope="session")
def echo_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("echo.py", app_root)


@pytest.fixture(scope="session")
def raise_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("raise_error.py", app_root)


@pytest.fixture(scope="session")
def schema_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("schema.py", app_root)


@pytest.fixture(scope="session")
def raw_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("raw.py", app_root)


@pytest.fixture(scope="session")
def returns_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("returns.py", app_root)


@pytest.fixture
def server_logs_reach_caplog(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Server log records reach caplog at INFO (the server's logger does not propagate once configured)."""
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "disabled", False)
    caplog.set_level(logging.INFO)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo dictConfig (run_cli and the logging tests apply one): every logger put back, pytest's handlers kept."""
    root = logging.getLogger()
    loggers = {
        name: obj for name, obj in logging.root.manager.loggerDict.items() if isinstance(obj, logging.Logger)
    }
    saved = {name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled) for name, lg in loggers.items()}
    root_level, root_handlers = root.level, list(root.handlers)
    yield
    for name, lg in list(logging.root.manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        level, handlers, propagate, disabled = saved.get(name, (logging.NOTSET, [], True, False))
        lg.setLevel(level)
        lg.handlers = handlers
        lg.propagate = propagate
        lg.disabled = disabled
    for handler in list(root.handlers):
        if handler not in root_handlers and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(root_level)
