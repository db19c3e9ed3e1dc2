"""The property phase in process: the search engine on a fake server, then the phase on real ones."""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import pytest
from hypothesis import strategies as st

from scorecheck.cli.exitcodes import ExitCode, exit_code_for
from scorecheck.config import RunConfig
from scorecheck.engine.context import Halt, RunContext
from scorecheck.engine.session import run as engine_run
from scorecheck.fixtures.failures import NOT_5XX
from scorecheck.fixtures.load import load_fixtures
from scorecheck.model import (
    WARNING_KIND,
    Case,
    CaseFinished,
    Event,
    Observation,
    RequestSpec,
    RunFinished,
    ServerDied,
)
from scorecheck.phases.checks import (
    CHECKS,
    HOSTILE,
    NEAR,
    SCHEMA,
    Check,
    CheckContext,
    CheckFailure,
    Exchange,
    select_checks,
)
from scorecheck.phases.properties import property_phase, score_path
from scorecheck.phases.search import Budget, Search, SearchResult, SearchSettings, ServerGone
from scorecheck.phases.strategies import json_request
from scorecheck.serverproc.client import Client
from scorecheck.serverproc.process import ServerProcess
from tests.scorecheck.sc_support import ECHO, SCRIPTS, write

JSON = (("Content-Type", "application/json"),)
NUMBERS = st.lists(st.integers()).map(partial(json_request, "/score"))


class FakeSender:
    """Answers like a server would, without one: `answer` maps the JSON payload to an observation."""

    budget = Budget()  # unbounded: the search's own --max-time still applies

    def __init__(self, answer: Callable[[object], Observation]) -> None:
        self.answer = answer
        self.sent: List[bytes] = []

    def exchange(self, kind: str, request: RequestSpec) -> Exchange:
        self.sent.append(request.body or b"")
        return Exchange(kind, request, self.answer(json.loads(request.body or b"null")))


# The engine with the CLI's exit codes, as `scorecheck run` drives it.
run = partial(engine_run, exit_codes=exit_code_for)


def _scorer(values: object) -> Observation:
    """Three bugs: 500 for a negative number, a bare NaN for a zero, and 10 ms per value."""
    assert isinstance(values, list)
    status = 500 if any(v < 0 for v in values) else 200
    body = b"[NaN]" if 0 in values else b'{"ok": true}'
    return Observation(status, JSON, body, 10.0 * len(values), "sc-1")


def _search(
    sender: FakeSender,
    checks: Sequence[Check],
    seed: int = 3,
    *,
    max_time: float = 60.0,
    context: Optional[CheckContext] = None,
    database: Optional[str] = None,
) -> SearchResult:
    settings = SearchSettings(seed, max_examples=150, max_time=max_time, shrink_time=30.0, database=database)
    ctx = context or CheckContext(max_latency_ms=35.0)
    return Search({NEAR: NUMBERS}, checks, ctx, sender, settings).run()  # type: ignore[arg-type]


# -- the search engine --------------------------------------------------------------------------------------------


def test_each_failing_check_is_shrunk_to_its_own_smallest_request() -> None:
    result = _search(FakeSender(_scorer), select_checks(("not_a_server_error", "valid_json", "latency")))
    smallest = {name: finding.candidates()[0][0].request.body for name, finding in result.findings.items()}
    assert smallest["not_a_server_error"] == b"[-1]"
    assert smallest["valid_json"] == b"[0]"
    assert json.loads(smallest["latency"] or b"") == [0] * 4  # just over the 35 ms budget
    # A round per newly failing check: the search goes on after the first failure it has shrunk.
    assert result.counts[NEAR] >= 150


def test_the_same_seed_sends_the_same_examples() -> None:
    checks = select_checks(("not_a_server_error",))
    first, second, other = FakeSender(_scorer), FakeSender(_scorer), FakeSender(_scorer)
    digests = [_search(sender, checks, seed).digest for sender, seed in ((first, 3), (second, 3), (other, 4))]
    assert first.sent == second.sent
    assert digests[0] == digests[1] != digests[2]


def test_an_example_database_is_kept_only_when_asked(tmp_path: Path) -> None:
    checks = select_checks(("not_a_server_error",))
    _search(FakeSender(_scorer), checks, database=str(tmp_path / "db"))
    assert any(path.is_file() for path in (tmp_path / "db").rglob("*"))
    sender = FakeSender(_scorer)
    _search(sender, checks, database=str(tmp_path / "db"))
    assert sender.sent[0] == b"[-1]"  # the saved failure is tried first


def test_nothing_is_sent_once_the_time_budget_is_spent() -> None:
    sender = FakeSender(_scorer)
    result = _search(sender, select_checks(("not_a_server_error",)), max_time=1e-9)
    assert sender.sent == []
    assert result.findings["not_a_server_error"].failures == 0


def test_once_the_time_budget_is_spent_hypothesis_generates_no_more_examples() -> None:
    # Generating the rest of --max-examples unsent took longer than the whole budget on a loaded machine.
    drawn: List[int] = []
    counted = st.lists(st.integers()).map(lambda values: drawn.append(1) or json_request("/score", values))
    settings = SearchSettings(3, max_examples=150, max_time=1e-9, shrink_time=30.0)
    checks = select_checks(("not_a_server_error",))
    sender = FakeSender(_scorer)
    Search({NEAR: counted}, checks, CheckContext(), sender, settings).run()  # type: ignore[arg-type]
    assert sender.sent == []
    assert len(drawn) == 1


def test_the_planned_examples_are_the_shares_of_max_examples_the_tiers_get() -> None:
    settings = SearchSettings(3, max_examples=100, max_time=60.0, shrink_time=30.0)
    checks = select_checks(())
    near_only = Search({NEAR: NUMBERS}, checks, CheckContext(), FakeSender(_scorer), settings)
    assert near_only.planned_examples() == 100
    tiers = {NEAR: NUMBERS, HOSTILE: NUMBERS, SCHEMA: NUMBERS}
    every_tier = Search(tiers, checks, CheckContext(), FakeSender(_scorer), settings)  # type: ignore[arg-type]
    assert every_tier.planned_examples() == 100 + 25 + 30
    near_checks = [check for check in checks if HOSTILE not in check.kinds]
    assert Search(tiers, near_checks, CheckContext(), FakeSender(_scorer), settings).planned_examples() == 130  # type: ignore[arg-type]


def test_a_bug_in_a_check_is_raised_not_shrunk() -> None:
    def broken(ctx: CheckContext, ex: Exchange) -> None:
        raise KeyError("bug in a check")

    check = Check("broken", broken, True, frozenset({NEAR}), "a check with a bug")
    sender = FakeSender(_scorer)
    with pytest.raises(KeyError, match="bug in a check"):
        _search(sender, [check])
    assert len(sender.sent) == 1


def test_a_dead_server_ends_the_search() -> None:
    class DyingSender(FakeSender):
        def exchange(self, kind: str, request: RequestSpec) -> Exchange:
            gone = ServerGone(-9)
            gone.exchange = Exchange(kind, request, None, "no response")
            raise gone

    result = _search(DyingSender(_scorer), select_checks(()))
    assert result.server_exit is not None
    assert result.server_exit[0] == -9


def test_warnings_are_counted_once_per_message() -> None:
    def warns(ctx: CheckContext, ex: Exchange) -> None:
        raise CheckFailure("ServerWarning", "same text", severity="warning")

    check = Check("warns", warns, True, frozenset({NEAR}), "always warns")
    result = _search(FakeSender(_scorer), [check])
    finding = result.findings["warns"]
    assert finding.failures == 0
    assert list(finding.warnings) == ["same text"]
    assert finding.warnings["same text"][2] == result.counts[NEAR]


# -- the phase, with real servers ------------------------------------------------------------------------------


def _cases(root: Path, files: Dict[str, str]) -> List[Case]:
    for name, text in files.items():
        write(root / name, text)
    cases, errors = load_fixtures([root])
    assert errors == []
    return cases


def _property(events: Sequence[Event]) -> Dict[str, CaseFinished]:
    return {e.name: e for e in events if isinstance(e, CaseFinished) and e.suite == "property"}


def _exit(events: Sequence[Event]) -> int:
    last = events[-1]
    assert isinstance(last, RunFinished)
    return last.exit_code


def test_the_phase_reports_a_rechecked_failure_and_saves_it(tmp_path: Path) -> None:
    cases = _cases(
        tmp_path / "cases",
        {"mean.yaml": 'request: {json: {"data": [1, 3]}}\nexpect: {json: {"mean": 2.0}}\n'},
    )
    saved_dir = tmp_path / "found"
    config = RunConfig(
        entry_script=str(SCRIPTS / "prop_empty_list.py"),
        fixtures=("cases",),
        max_examples=30,
        save_failures=str(saved_dir),
        checks=("not_a_server_error", "valid_json"),
    )
    events = list(run(config, cases))
    found = _property(events)
    assert list(found) == ["not_a_server_error", "valid_json"]
    failed = found["not_a_server_error"]
    assert (failed.outcome, failed.group, failed.kind) == ("failed", "score", "ServerError")
    assert failed.message.endswith('payload {"data": []}')
    assert "ZeroDivisionError" in failed.message
    assert 'minimal payload: {"data": []}' in failed.details
    assert "re-check:  reproduced" in failed.details
    assert "ZeroDivisionError: float division by zero" in failed.log  # the re-check's server lines
    assert found["valid_json"].outcome == "passed"
    assert "seed 42; examples: " in found["valid_json"].log
    saved = list(saved_dir.glob("*.json"))
    assert [path.name.split("-")[0] for path in saved] == ["not_a_server_error"]
    document = json.loads(saved[0].read_text())
    assert document["request"] == {"method": "POST", "path": "/score", "json": {"data": []}}
    assert document["expect"] == {"status": NOT_5XX}
    assert document["tags"] == ["property", "not_a_server_error", "tier-near"]
    assert _exit(events) == ExitCode.CHECK_FAILED


def test_a_server_that_dies_ends_the_run_with_the_server_exit_code(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"ok.yaml": 'request: {json: {"tag": "x", "die": false}}\n'})
    config = RunConfig(entry_script=str(ECHO), fixtures=("cases",), save_failures="")
    events = list(run(config, cases))
    assert any(isinstance(e, ServerDied) for e in events)
    found = _property(events)
    assert (found["server_survives"].outcome, found["server_survives"].kind) == ("failed", "ServerDied")
    assert '"die": true' in found["server_survives"].message
    assert {e.outcome for name, e in found.items() if name != "server_survives"} == {"error"}
    assert _exit(events) == ExitCode.SERVER


@pytest.fixture(scope="module")
def echo() -> Iterator[ServerProcess]:
    with ServerProcess(str(ECHO)) as process:
        process.wait_ready(time.monotonic() + 30)
        yield process


def _context(
    server: ServerProcess, cases: Sequence[Case], halted: Optional[Halt] = None, **settings: object
) -> RunContext:
    config = RunConfig(target=server.base_url, fixtures=("cases",), save_failures="", **settings)  # type: ignore[arg-type]
    return RunContext(config, cases, Client(server.base_url), None, halted=halted)


def test_without_a_valid_input_source_only_malformed_requests_run(
    echo: ServerProcess, tmp_path: Path
) -> None:
    cases = _cases(
        tmp_path / "cases", {"health.yaml": "request: {method: GET, path: /}\nexpect: {body: Healthy}\n"}
    )
    found = _property(list(property_phase(_context(echo, cases, max_examples=20))))
    assert found["not_a_server_error"].outcome == "skipped"
    assert "no valid input is known" in found["not_a_server_error"].message
    assert found["server_warnings"].outcome == "skipped"  # --target: no server log to read
    # sc_echo calls .get() on whatever JSON it receives: a 500 for `[]`, reported as a warning by default.
    malformed = found["malformed_input_rejected"]
    assert (malformed.outcome, malformed.kind) == ("passed", WARNING_KIND)
    assert malformed.message.startswith("warning: status 500 for a hostile request")
    assert found["server_survives"].outcome == "passed"
    assert "examples: 5 hostile" in found["server_survives"].log


def test_selected_checks_only_and_a_halted_run_reports_them_not_run(echo: ServerProcess) -> None:
    halt = Halt("error", "ServerError", "not run: the server exited unexpectedly with code -9")
    events = list(property_phase(_context(echo, [], halted=halt, exclude_checks=("latency",))))
    assert [e.name for e in _property(events).values()] == [
        c.name for c in CHECKS.values() if c.default and c.name != "latency"
    ]
    assert {(e.outcome, e.message) for e in _property(events).values()} == {("error", halt.message)}
    assert list(property_phase(_context(echo, [], properties=False))) == []


def test_the_score_path_is_where_the_fixtures_post() -> None:
    assert score_path([]) == "/score"
