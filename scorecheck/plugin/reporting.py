"""How the plugin's failures read: one start failure, tidy case summaries, each test's server log lines."""

from __future__ import annotations

import dataclasses
from typing import Any, Generator

import pytest

from .items import CaseFailed
from .state import STATE, SessionState

LOG_SECTION = "scorecheck server log (lines the server printed during this test)"
LOG_LIMIT = 200
LOG_MARK = pytest.StashKey[int]()


def _uses_server(item: pytest.Item) -> bool:
    return "score_server" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # Where this test's log window starts; the server is up by now (fixtures are set up).
    state = item.config.stash.get(STATE, None)
    if state is not None and state.server is not None and _uses_server(item):
        item.stash[LOG_MARK] = state.server.mark()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.config.stash.get(STATE, None)
    if state is None or not report.failed or call.excinfo is None:
        return
    error = call.excinfo.value
    if error is state.start_failure and error is not None:
        _one_start_failure(state, item, report)
    elif isinstance(error, CaseFailed):
        _tidy_crash_message(report, error.summary)
    elif report.when == "call" and state.server is not None and LOG_MARK in item.stash:
        lines = state.server.lines_since(item.stash[LOG_MARK])[-LOG_LIMIT:]
        _attach(report, "\n".join(lines) or "(no lines)")


def _one_start_failure(state: SessionState, item: pytest.Item, report: pytest.TestReport) -> None:
    """The first test to need the server shows why it did not start; the others are skipped, as in the CLI."""
    if not state.first_failed:
        state.first_failed = item.nodeid
        return
    reason = f"not run: the scoring server failed to start (see the error of {state.first_failed})"
    report.outcome = "skipped"
    report.longrepr = (str(item.path), None, f"Skipped: {reason}")  # type: ignore[assignment]


def _tidy_crash_message(report: pytest.TestReport, summary: str) -> None:
    # The one-line summary, not the whole text, for the short test summary and the JUnit `message`.
    longrepr: Any = report.longrepr
    crash: Any = getattr(longrepr, "reprcrash", None)
    if not dataclasses.is_dataclass(crash) or isinstance(crash, type):
        return
    tidy = dataclasses.replace(crash, message=summary)
    longrepr.reprcrash = tidy
    chain = getattr(longrepr, "chain", None)
    # xdist rebuilds the report from the chain's last link, so that one must say the same.
    if isinstance(chain, list) and chain and chain[-1][1] is crash:
        chain[-1] = (chain[-1][0], tidy, *chain[-1][2:])


def _attach(report: pytest.TestReport, text: str) -> None:
    # Inside the failure text when possible, so that it also lands in the JUnit <failure>.
    longrepr: Any = report.longrepr
    if hasattr(longrepr, "addsection"):
        longrepr.addsection(LOG_SECTION, text)
    else:
        report.sections.append((LOG_SECTION, text))
