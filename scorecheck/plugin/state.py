"""What one pytest session of the plugin holds: its settings, the fixture catalog, the server, the start failure.

State lives in `config.stash`, so nested sessions (pytester) and xdist workers each have their own server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import pytest

# The class behind `pytest.fail`, imported by name so that it can be subclassed (and type-checked).
from _pytest.outcomes import Failed

from ..fixtures.load import load_fixtures
from ..model import Case, FixtureError
from .server import ScoreServer
from .settings import PluginSettings

MARKER = "scorecheck"
# Marker names pytest gives a meaning.
_RESERVED_MARKERS = frozenset({"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"})


class _Catalog:
    """Every fixture case and problem, by file, loaded once per session with the gate's loader."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.cases, errors = load_fixtures(list(paths))
        self.by_file: Dict[Path, Tuple[List[Case], List[FixtureError]]] = {}
        for case in self.cases:
            self.by_file.setdefault(case.file.resolve(), ([], []))[0].append(case)
        for error in errors:
            if error.file.is_file():
                self.by_file.setdefault(error.file.resolve(), ([], []))[1].append(error)

    def lookup(self, path: Path) -> Optional[Tuple[List[Case], List[FixtureError]]]:
        return self.by_file.get(path.resolve())

    def tags(self) -> List[str]:
        return sorted({tag for case in self.cases for tag in case.tags})


@dataclass
class SessionState:
    settings: PluginSettings
    catalog: Optional[_Catalog] = None
    server: Optional[ScoreServer] = None
    start_failure: Optional[BaseException] = None
    first_failed: str = ""  # node id of the test that reported the start failure

    def load_catalog(self, config: pytest.Config) -> _Catalog:
        if self.catalog is None:
            self.catalog = _Catalog(self.settings.fixtures)
            # Registered, so that --strict-markers accepts them and pytest does not warn about typos.
            for tag in filter(markable, self.catalog.tags()):
                config.addinivalue_line("markers", f"{tag}: scorecheck fixture tag")
        return self.catalog


def markable(tag: str) -> bool:
    """Whether a fixture tag can be a marker: pytest refuses names starting with `_`, and a tag must
    not silently skip or xfail its case."""
    return bool(tag.strip()) and not tag.startswith("_") and tag not in _RESERVED_MARKERS


STATE = pytest.StashKey[SessionState]()

# Sessions in this process, innermost last: `score_payloads()` strategies are built when a test module is
# imported and drawn during a test, with no config at hand.
ACTIVE: List[SessionState] = []


class StartFailed(Failed):
    """The server did not start: a setup error showing only our message (no pytest traceback)."""


def state_of(config: pytest.Config) -> SessionState:
    return config.stash[STATE]


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.server is not None:  # normally stopped by the fixture's teardown; this is the backstop
        state.server.stop()
        state.server = None
    if state in ACTIVE:
        ACTIVE.remove(state)
