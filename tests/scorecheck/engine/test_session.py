"""The runner's event stream, with real azmlinfsrv processes (started by the runner or by the test)."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Iterator, List, Sequence

import pytest

from scorecheck.cli.exitcodes import ExitCode, exit_code_for
from scorecheck.config import RunConfig
from scorecheck.engine.context import RunContext
from scorecheck.engine.events import fixture_error_events
from scorecheck.engine.session import DEFAULT_PHASES
from scorecheck.engine.session import run as engine_run
from scorecheck.fixtures.load import load_fixtures
from scorecheck.model import (
    Case,
    CaseFinished,
    Event,
    FixtureError,
    Measurement,
    Mismatch,
    Observation,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)
from scorecheck.phases.rerun import replay_command
from scorecheck.serverproc.process import ServerProcess, group_alive
from tests.scorecheck.sc_support import ECHO, INIT_FAILS, write


@pytest.fixture(scope="module")
def target() -> Iterator[ServerProcess]:
    """A separately started server for the tests that run in --target mode."""
    with ServerProcess(str(ECHO)) as process:
        process.wait_ready(time.monotonic() + 30)
        yield process


# The engine with the CLI's exit codes, as `scorecheck run` drives it.
run = partial(engine_run, exit_codes=exit_code_for)


def _cases(root: Path, files: dict[str, str]) -> List[Case]:
    for name, text in files.items():
        write(root / name, text)
    cases, errors = load_fixtures([root])
    assert errors == []
    return cases


def _finished(events: Sequence[Event]) -> List[CaseFinished]:
    """The fixture and property cases (the runtime suite's start-up and memory cases have tests of their own)."""
    return [e for e in events if isinstance(e, CaseFinished) and e.suite != "runtime"]


def _exit(events: Sequence[Event]) -> int:
    last = events[-1]
    assert isinstance(last, RunFinished)
    return last.exit_code


OK = 'request: {json: {"tag": "ok"}}\nexpect: {json: {"echo": {"tag": "ok"}}}\n'
BAD = 'request: {json: {"tag": "bad", "n": 2}}\nexpect: {json: {"echo": {"tag": "bad", "n": 3}}}\n'
DIE = 'request: {json: {"die": true}}\n'


def test_a_passing_run_in_order(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK, "b.yaml": "skip: not today\n" + OK})
    config = RunConfig(properties=False, entry_script=str(ECHO), fixtures=(str(tmp_path / "cases"),))
    events = list(run(config, cases))
    assert [type(e) for e in events] == [
        RunStarted,
        ServerStarted,
        Measurement,  # start-up
        CaseFinished,  # startup_time
        CaseFinished,
        CaseFinished,
        Measurement,  # the replay's latencies
        CaseFinished,  # memory_growth: not checked, a replay-only run serves too few requests
        Measurement,  # memory
        RunFinished,
    ]
    runtime = [(c.name, c.outcome) for c in events if isinstance(c, CaseFinished) and c.suite == "runtime"]
    assert runtime == [("startup_time", "passed"), ("memory_growth", "skipped")]
    latency = events[6]
    assert isinstance(latency, Measurement)
    assert (latency.name, len(latency.points)) == ("latency", 1)  # the skipped case sent nothing
    started = events[0]
    assert isinstance(started, RunStarted)
    assert started.planned == ("a.yaml", "b.yaml")
    assert started.server_version.startswith("azmlinfsrv/")
    assert dict(started.properties)["mode"] == "subprocess"
    assert [(c.name, c.outcome, c.message) for c in _finished(events)] == [
        ("a.yaml", "passed", ""),
        ("b.yaml", "skipped", "not today"),
    ]
    assert _exit(events) == ExitCode.OK


def test_a_failure_carries_diff_curl_replay_and_log(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"bad.yaml": BAD})
    config = RunConfig(properties=False, entry_script=str(ECHO), fixtures=(str(tmp_path / "cases"),))
    events = list(run(config, cases))
    (failed,) = _finished(events)
    assert failed.outcome == "failed"
    assert failed.kind == "BodyMismatch"
    assert failed.message == "$.echo.n: expected 3, got 2"
    assert "reproduce: curl " in failed.details
    assert "replay:    scorecheck run" in failed.details
    assert "sc_echo handling bad" in failed.details
    assert "sc_echo handling bad" in failed.log
    assert _exit(events) == ExitCode.CHECK_FAILED


def test_init_failure_names_the_users_line_and_skips_everything(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK, "b.yaml": OK})
    events = list(run(RunConfig(properties=False, entry_script=str(INIT_FAILS), fixtures=("cases",)), cases))
    failed = next(e for e in events if isinstance(e, ServerFailed))
    assert failed.message.startswith("init() failed: FileNotFoundError: model file missing")
    assert "sc_init_fails.py:5" in failed.message
    assert failed.exit_code == 3
    assert 'sc_init_fails.py", line 9' in failed.log
    assert {(c.outcome, c.message) for c in _finished(events)} == {
        ("skipped", "not run: server failed to start")
    }
    assert _exit(events) == ExitCode.SERVER


def test_server_death_turns_the_rest_into_errors(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK, "b.yaml": DIE, "c.yaml": OK})
    events = list(run(RunConfig(properties=False, entry_script=str(ECHO), fixtures=("cases",)), cases))
    outcomes = [(c.name, c.outcome, c.kind) for c in _finished(events)]
    assert outcomes == [
        ("a.yaml", "passed", ""),
        ("b.yaml", "error", "ServerError"),
        ("c.yaml", "error", "ServerError"),
    ]
    died = next(e for e in events if isinstance(e, ServerDied))
    assert died.exit_code is not None
    assert "sc_echo ready" in died.log
    assert _exit(events) == ExitCode.SERVER


def test_exitfirst_skips_the_rest(target: ServerProcess, tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": BAD, "b.yaml": OK})
    config = RunConfig(properties=False, target=target.base_url, fixtures=("cases",), exitfirst=True)
    events = list(run(config, cases))
    assert [(c.name, c.outcome) for c in _finished(events)] == [("a.yaml", "failed"), ("b.yaml", "skipped")]
    assert "--exitfirst" in _finished(events)[1].message
    assert _exit(events) == ExitCode.CHECK_FAILED


def test_target_mode_sends_headers_and_reports_no_logs(target: ServerProcess, tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK})
    config = RunConfig(
        properties=False, target=target.base_url, fixtures=("cases",), headers=(("X-Extra", "1"),)
    )
    events = list(run(config, cases))
    started = events[0]
    assert isinstance(started, RunStarted)
    assert dict(started.properties)["mode"] == "target"
    boot = events[1]
    assert isinstance(boot, ServerStarted)
    assert "running endpoint" in boot.log
    assert _exit(events) == ExitCode.OK


def test_unreachable_target_is_a_startup_failure(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK})
    config = RunConfig(
        properties=False, target="http://127.0.0.1:9", fixtures=("cases",), startup_timeout=0.3
    )
    events = list(run(config, cases))
    assert any(isinstance(e, ServerFailed) for e in events)
    assert _exit(events) == ExitCode.SERVER


def test_ctrl_c_from_the_consumer_stops_the_server_and_ends_the_stream(tmp_path: Path) -> None:
    marker = tmp_path / "pgid"
    first = 'request: {json: {"sleep": 0.01}}\n'  # makes sc_echo write its process group to the marker
    cases = _cases(tmp_path / "cases", {"a.yaml": first, "b.yaml": OK, "c.yaml": OK})
    config = RunConfig(
        properties=False, entry_script=str(ECHO), fixtures=("cases",), env=(("SC_MARKER", str(marker)),)
    )
    stream = run(config, cases)
    for event in stream:
        if isinstance(event, CaseFinished) and event.suite == "replay":
            break
    pgid = int(marker.read_text())
    assert group_alive(pgid)
    rest = [stream.throw(KeyboardInterrupt()), *stream]
    assert not group_alive(pgid)
    names = [(c.name, c.outcome) for c in _finished(rest)]
    assert names == [("b.yaml", "skipped"), ("c.yaml", "skipped"), ("interrupted", "error")]
    assert "1 of 3 cases had finished" in _finished(rest)[-1].details
    assert _exit(rest) == ExitCode.INTERRUPTED


def test_a_harness_bug_is_reported_and_the_server_stopped(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK, "b.yaml": OK})
    groups: List[int] = []

    def broken_phase(ctx: RunContext) -> Iterator[Event]:
        assert ctx.server is not None
        assert ctx.server.pid is not None
        groups.append(ctx.server.pid)
        raise ZeroDivisionError("phase bug")
        yield  # a generator, like every phase

    config = RunConfig(properties=False, entry_script=str(ECHO), fixtures=("cases",))
    events = list(run(config, cases, phases=[broken_phase]))
    assert not group_alive(groups[0])
    harness = _finished(events)[-1]
    assert (harness.name, harness.kind) == ("internal-error", "HarnessError")
    assert "ZeroDivisionError: phase bug" in harness.details
    assert [c.outcome for c in _finished(events)[:-1]] == ["skipped", "skipped"]
    assert _exit(events) == ExitCode.HARNESS


def test_phases_are_appended_after_replay(target: ServerProcess, tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": OK})

    def property_phase(ctx: RunContext) -> Iterator[Event]:
        obs = ctx.client.send(ctx.cases[0].request)
        outcome = "passed" if obs.status < 500 else "failed"
        yield CaseFinished("property", "score", "not_a_server_error", outcome, obs.elapsed_ms / 1000)

    config = RunConfig(properties=False, target=target.base_url, fixtures=("cases",))
    events = list(run(config, cases, phases=[*DEFAULT_PHASES, property_phase]))
    assert [(c.suite, c.name) for c in _finished(events)] == [
        ("replay", "a.yaml"),
        ("property", "not_a_server_error"),
    ]


def test_an_observer_can_absorb_a_mismatch(target: ServerProcess, tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases", {"a.yaml": BAD})
    seen: List[Sequence[Mismatch]] = []

    def observer(case: Case, obs: Observation, mismatches: Sequence[Mismatch]) -> bool:
        seen.append(mismatches)
        return True

    events = list(
        run(
            RunConfig(properties=False, target=target.base_url, fixtures=("cases",)), cases, observer=observer
        )
    )
    (case,) = _finished(events)
    assert (case.outcome, case.message) == ("passed", "expectation updated from the response")
    assert [m.path for m in seen[0]] == ["$.echo.n"]


def test_fixture_errors_become_one_error_case_per_file() -> None:
    errors = [
        FixtureError(Path("f/a.yaml"), "expect.staus", "unknown key 'staus'"),
        FixtureError(Path("f/a.yaml"), "request.json", "must be a mapping"),
        FixtureError(Path("f/b.json"), "line 3", "invalid JSON"),
    ]
    events = list(
        fixture_error_events(
            RunConfig(properties=False, entry_script="s.py", fixtures=("f",)), errors, int(ExitCode.USAGE)
        )
    )
    cases = _finished(events)
    assert [(c.name, c.kind) for c in cases] == [("f/a.yaml", "FixtureError"), ("f/b.json", "FixtureError")]
    assert "expect.staus" in cases[0].details
    assert "request.json" in cases[0].details
    assert _exit(events) == ExitCode.USAGE


def test_replay_command_quotes_the_name(tmp_path: Path) -> None:
    (case,) = _cases(tmp_path / "cases", {"x.yaml": "name: two rows and more\n" + OK})
    config = RunConfig(properties=False, entry_script="score.py", fixtures=("cases",), model_dir="model")
    command = replay_command(config, case)
    assert command.startswith("scorecheck run score.py ")
    assert command.endswith("--model-dir model --no-properties -k '\"two rows and more\"'")
