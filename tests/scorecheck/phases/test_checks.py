"""The property checks one by one, on hand-made exchanges: what each catches, what it lets through."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Sequence, Tuple

import pytest

from scorecheck.cli.main import build_parser
from scorecheck.config import ConfigError, RunConfig, build_config, property_seed
from scorecheck.model import Observation, RequestSpec
from scorecheck.phases.checks import (
    CHECKS,
    HOSTILE,
    NEAR,
    NON_FINITE,
    WARNING,
    CheckContext,
    CheckFailure,
    Exchange,
    pitfalls,
    root_cause,
    select_checks,
    strict_json,
    worker_death,
)

JSON = (("Content-Type", "application/json"),)
REQUEST = RequestSpec(body=b'{"data": []}', body_source="json")
RECORD = "2026-11-21 04:48:29,449 {level} [77] {logger} - {message}"
TRACEBACK = (
    RECORD.format(
        level="E", logger="azmlinfsrv", message="Encountered Exception: Traceback (most recent call last):"
    ),
    '  File "/app/score.py", line 9, in run',
    "    return total / len(values)",
    "ZeroDivisionError: float division by zero",
    "",
    "The above exception was the direct cause of the following exception:",
    "",
    "azmlinfsrv.invoke.UserScriptError: Caught an unhandled exception from the user script",
)


def _obs(
    status: int = 200, body: bytes = b"{}", headers: Tuple[Tuple[str, str], ...] = JSON, ms: float = 5.0
) -> Observation:
    return Observation(status, headers, body, ms, "sc-1")


def _ex(obs: Optional[Observation], kind: str = NEAR, lines: Sequence[str] = (), error: str = "") -> Exchange:
    return Exchange(kind, REQUEST, obs, error, tuple(lines))


def _fails(name: str, ex: Exchange, ctx: Optional[CheckContext] = None) -> Optional[CheckFailure]:
    try:
        CHECKS[name].run(ctx or CheckContext(), ex)
    except CheckFailure as failure:
        return failure
    return None


# -- selection ------------------------------------------------------------------------------------------------


def test_the_registry_has_stable_names_in_reporting_order() -> None:
    assert list(CHECKS) == [
        "server_survives",
        "not_a_server_error",
        "valid_json",
        "output_schema",
        "latency",
        "malformed_input_rejected",
        "deterministic",
        "server_warnings",
    ]
    assert [c.name for c in CHECKS.values() if not c.default] == ["deterministic"]


def test_selection_defaults_all_and_exclusions() -> None:
    assert "deterministic" not in [c.name for c in select_checks(())]
    assert [c.name for c in select_checks(("all",))] == list(CHECKS)
    assert [c.name for c in select_checks(("latency", "valid_json"))] == ["valid_json", "latency"]
    assert "latency" not in [c.name for c in select_checks((), ("latency",))]
    with pytest.raises(ValueError, match="unknown check 'latncy'"):
        select_checks(("latncy",))


def _config(argv: Sequence[str], tmp_path: Path) -> RunConfig:
    args: argparse.Namespace = build_parser().parse_args(["run", "score.py", "cases", *argv])
    return build_config(args, cwd=tmp_path)


def test_command_line_and_pyproject_settings(tmp_path: Path) -> None:
    config = _config(["--checks", "latency,valid_json", "--checks", "deterministic", "--seed", "7"], tmp_path)
    assert config.checks == ("latency", "valid_json", "deterministic")
    assert property_seed(config) == 7
    assert property_seed(_config([], tmp_path)) == 42  # the fixed default
    assert property_seed(_config(["--no-properties"], tmp_path)) is None
    (tmp_path / "pyproject.toml").write_text(
        "[tool.scorecheck]\nmax-examples = 7\nexclude-checks = 'latency'\nmalformed-severity = 'failure'\n"
        "save-failures = 'found'\nmax-latency-ms = 250\n"
    )
    config = _config(["--max-time", "5"], tmp_path)
    assert (config.max_examples, config.exclude_checks, config.hostile_severity) == (
        7,
        ("latency",),
        "failure",
    )
    assert (config.max_time, config.max_latency_ms) == (5.0, 250.0)
    assert Path(str(config.save_failures)).name == "found"
    with pytest.raises(ConfigError, match="unknown check 'nope'"):
        _config(["--checks", "nope"], tmp_path)
    with pytest.raises(ConfigError, match="--max-examples"):
        _config(["--max-examples", "0"], tmp_path)


# -- server_survives ------------------------------------------------------------------------------------------


def test_server_survives_sees_a_dead_worker_in_the_log_or_a_dropped_connection() -> None:
    death = "2026-11-21 04:48:29,449 E [70] gunicorn.error - Worker (pid:71) was sent SIGKILL! Perhaps out of memory?"
    failure = _fails("server_survives", _ex(_obs(), lines=[death]))
    assert failure is not None
    assert failure.kind == "WorkerDied"
    assert "Worker (pid:71) was sent SIGKILL!" in failure.message
    dropped = _fails("server_survives", _ex(None, error="no response: RemoteDisconnected"))
    assert dropped is not None
    assert "RemoteDisconnected" in dropped.message
    assert _fails("server_survives", _ex(_obs(500))) is None  # a 500 from a healthy server is another check's
    down = CheckContext(healthy=lambda: False)
    assert _fails("server_survives", _ex(_obs(500)), down) is not None


def test_worker_death_patterns() -> None:
    assert worker_death(["... Worker (pid:12) exited with code 1"]) == "Worker (pid:12) exited with code 1"
    assert worker_death(["... WORKER TIMEOUT (pid:12)"]) == "WORKER TIMEOUT (pid:12)"
    assert worker_death(["... Booting worker with pid: 13"]) == "Booting worker with pid: 13"
    assert worker_death(["... POST /score 200 1.0ms 2"]) is None


# -- not_a_server_error and malformed_input_rejected -------------------------------------------------------------


def test_not_a_server_error_names_the_scripts_own_exception() -> None:
    body = b'{"message": "An unexpected error occurred in scoring script. Check the logs for more info."}'
    failure = _fails("not_a_server_error", _ex(_obs(500, body), lines=TRACEBACK))
    assert failure is not None
    assert failure.kind == "ServerError"
    assert "status 500 for near input" in failure.message
    assert "ZeroDivisionError: float division by zero" in failure.message
    assert _fails("not_a_server_error", _ex(_obs(400))) is None
    assert not CHECKS["not_a_server_error"].applies(_ex(_obs(500), kind=HOSTILE))


def test_not_a_server_error_cannot_run_without_a_source_of_valid_input() -> None:
    reason = CHECKS["not_a_server_error"].needs(CheckContext(has_valid_inputs=False))
    assert reason is not None
    assert "no valid input is known" in reason


def test_root_cause_is_the_first_exception_of_a_chain() -> None:
    assert root_cause(TRACEBACK) == "ZeroDivisionError: float division by zero"
    assert root_cause(()) == ""


def test_a_5xx_for_malformed_input_is_a_warning_unless_configured() -> None:
    ex = _ex(_obs(500, b'{"message": "boom"}'), kind=HOSTILE)
    failure = _fails("malformed_input_rejected", ex)
    assert failure is not None
    assert failure.severity == WARNING
    strict = _fails("malformed_input_rejected", ex, CheckContext(hostile_severity="failure"))
    assert strict is not None
    assert strict.severity == "failure"
    assert _fails("malformed_input_rejected", _ex(_obs(415), kind=HOSTILE)) is None


# -- valid_json, output_schema, latency, deterministic ------------------------------------------------------


def test_valid_json_refuses_bare_nan_and_broken_bodies_labelled_json() -> None:
    nan = _fails("valid_json", _ex(_obs(body=b'{"shares": [NaN]}')))
    assert nan is not None
    assert nan.kind == NON_FINITE
    assert "bare NaN" in nan.message
    broken = _fails("valid_json", _ex(_obs(body=b'{"a": ')))
    assert broken is not None
    assert broken.kind == "InvalidJson"
    problem_json = (("Content-Type", "application/problem+json; charset=utf-8"),)
    assert _fails("valid_json", _ex(_obs(body=b"-Infinity", headers=problem_json))) is not None
    text = (("Content-Type", "text/plain"),)
    assert _fails("valid_json", _ex(_obs(body=b"NaN", headers=text))) is None
    assert _fails("valid_json", _ex(_obs(body=b'{"text": "NaN", "x": 1e308}'))) is None
    assert strict_json(b"[1.5]") == [1.5]


def test_output_schema_names_the_path_that_breaks_it() -> None:
    schema = {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}}}
    ctx = CheckContext(output_schema=schema, output_source="@output_schema")
    failure = _fails("output_schema", _ex(_obs(body=b'{"label": null}')), ctx)
    assert failure is not None
    assert failure.kind == "SchemaViolation"
    assert failure.message.startswith("$.label: None is not of type 'string'")
    assert _fails("output_schema", _ex(_obs(body=b'{"label": "x"}')), ctx) is None
    assert _fails("output_schema", _ex(_obs(400, b'{"message": "no"}')), ctx) is None
    assert CHECKS["output_schema"].needs(CheckContext()) is not None


def test_latency_needs_a_budget_and_compares_with_it() -> None:
    reason = CHECKS["latency"].needs(CheckContext())
    assert reason is not None
    assert "--max-latency-ms" in reason
    ctx = CheckContext(max_latency_ms=100)
    failure = _fails("latency", _ex(_obs(ms=150.0)), ctx)
    assert failure is not None
    assert failure.message == "answered in 150 ms, over the 100 ms budget"
    assert _fails("latency", _ex(_obs(ms=99.0)), ctx) is None


def test_deterministic_sends_the_input_again() -> None:
    answers = iter([_obs(body=b'{"a": 2}'), _obs(body=b'{ "a" : 1 }')])
    ctx = CheckContext(resend=lambda request: next(answers))
    failure = _fails("deterministic", _ex(_obs(body=b'{"a": 1}')), ctx)
    assert failure is not None
    assert failure.kind == "Nondeterministic"
    assert _fails("deterministic", _ex(_obs(body=b'{"a": 1}')), ctx) is None  # same JSON, other spacing


# -- server_warnings ----------------------------------------------------------------------------------------


def test_server_warnings_report_production_pitfalls() -> None:
    nan = RECORD.format(
        level="W", logger="azmlinfsrv", message="run() returned NaN or Infinity. The response ..."
    )
    failure = _fails("server_warnings", _ex(_obs(), lines=[nan]))
    assert failure is not None
    assert failure.severity == WARNING
    assert failure.message.startswith("NaN/Infinity: run() returned NaN")
    form = RECORD.format(
        level="W", logger="azmlinfsrv", message="The request body is x, so run() receives an empty string"
    )
    assert (
        _fails("server_warnings", _ex(_obs(), kind=HOSTILE, lines=[form])) is None
    )  # caused by our own request
    assert _fails("server_warnings", _ex(_obs(), lines=[form])) is not None
    user = RECORD.format(level="W", logger="entry_module", message="run() returned NaN or Infinity")
    assert pitfalls([user]) == []  # only the server's own loggers speak about pitfalls
    shadow = RECORD.format(
        level="W", logger="azmlinfsrv", message="The module 'utils' ... is shadowed in production"
    )
    assert [name for name, _ in pitfalls([shadow])] == ["shadowed module"]
    assert CHECKS["server_warnings"].needs(CheckContext(has_logs=False)) is not None


def test_error_messages_are_read_from_azureml_bodies_and_the_unified_envelope() -> None:
    from scorecheck.phases.checks import error_message

    assert error_message(b'{"message": "A value is not provided"}') == "A value is not provided"
    unified = b'{"result": false, "data": {"message": "model exploded", "error_type": "InferError"}}'
    assert error_message(unified) == "InferError: model exploded"
    assert error_message(b'{"status": false, "data": {"message": "no such endpoint"}}') == "no such endpoint"
    assert error_message(b"<html>Internal Server Error</html>") == "<html>Internal Server Error</html>"
