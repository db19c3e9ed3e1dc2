"""The `scorecheck` CLI end to end: a real process driving a real azmlinfsrv; every report is validated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from scorecheck.serverproc.process import ServerProcess, group_alive
from tests.scorecheck.junit_checks import Report, check_report
from tests.scorecheck.sc_support import (
    CLI_TIMEOUT,
    ECHO,
    HOUSING,
    INIT_FAILS,
    REPO,
    SCORECHECK,
    cli_env,
    poll,
    scorecheck,
    write,
)

# Starts many servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

OK = 'request: {json: {"tag": "ok"}}\nexpect: {json: {"echo": {"tag": "ok"}}}\n'
BAD = 'request: {json: {"tag": "bad", "n": 2}}\nexpect: {json: {"echo": {"tag": "bad", "n": 3}}}\n'


def _report(path: Path) -> Report:
    assert path.is_file(), f"no report at {path}"
    return check_report(path)


def test_the_bundled_example_passes(tmp_path: Path) -> None:
    # The README's command, run from the repository root as a user would.
    report_path = tmp_path / "TEST-scorecheck.xml"
    args = ["run", "fixtures/housing/score.py", "fixtures/housing/cases", "--junit-xml", str(report_path)]
    result = scorecheck(args, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "property phase after the replay: seed 42" in result.stdout
    report = _report(report_path)
    replay = [case for case in report.cases if case.suite == "scorecheck.replay"]
    assert len(replay) == 10  # the startup case and the nine fixtures
    prop = [case for case in report.cases if case.suite == "scorecheck.property"]
    assert [case.name for case in prop] == [
        "server_survives",
        "not_a_server_error",
        "valid_json",
        "output_schema",
        "latency",
        "malformed_input_rejected",
        "server_warnings",
    ]
    assert all(case.result is None for case in report.cases)
    assert {case.classname for case in prop} == {"scorecheck.property.score"}
    assert report.properties["scorecheck.replay"]["entry_script"] == "fixtures/housing/score.py"
    assert report.properties["scorecheck.property"]["seed"] == "42"


def test_a_failing_fixture_exits_1_with_diff_curl_and_log(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "ok.yaml", OK)
    write(tmp_path / "cases" / "bad.yaml", BAD)
    result = scorecheck(["run", "--no-properties", str(ECHO), "cases"], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    case = _report(tmp_path / "TEST-scorecheck.xml").case("bad.yaml")
    assert case.result == "failure"
    assert case.type == "BodyMismatch"
    assert case.message == "$.echo.n: expected 3, got 2"
    assert case.text is not None
    assert "$.echo.n: expected 3, got 2" in case.text
    assert "reproduce: curl -sS -i -X POST http://127.0.0.1:" in case.text
    assert "sc_echo handling bad" in case.text
    assert case.system_out is not None
    assert "POST /score 200" in case.system_out
    assert "$.echo.n: expected 3, got 2" in result.stdout


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_reader_closing_stdout_early_costs_neither_the_verdict_nor_the_report(
    tmp_path: Path, output: str
) -> None:
    # `scorecheck run ... | head`: the reader is gone before the first line is written.
    write(tmp_path / "cases" / "ok.yaml", OK)
    write(tmp_path / "cases" / "bad.yaml", BAD)
    args = [str(SCORECHECK), "run", "--no-properties", str(ECHO), "cases", "--format", output]
    gate = subprocess.Popen(
        args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert gate.stdout is not None
        gate.stdout.close()
        _, errors = gate.communicate(timeout=CLI_TIMEOUT)
    finally:
        if gate.poll() is None:
            gate.kill()
    assert gate.returncode == 1, errors  # the verdict: bad.yaml fails
    assert "standard output was closed by its reader; the run goes on" in errors
    assert "Traceback" not in errors, errors
    assert "Exception ignored" not in errors, errors
    assert _report(tmp_path / "TEST-scorecheck.xml").case("bad.yaml").result == "failure"


def test_malformed_fixtures_are_all_listed_before_any_server_starts(tmp_path: Path) -> None:
    marker = tmp_path / "server-started"
    write(tmp_path / "cases" / "good.yaml", OK)
    write(tmp_path / "cases" / "typo.yaml", 'request: {json: {}}\nexpect: {staus: 200, json: {"a": 1}}\n')
    write(tmp_path / "cases" / "broken.yaml", "request: {json: [1, 2\n")
    write(tmp_path / "cases" / "two.json", '{"request": {"method": 5, "body": "x", "json": {}}}')
    result = scorecheck(["run", str(ECHO), "cases", "--env", f"SC_INIT_MARKER={marker}"], cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "typo.yaml: expect.staus: unknown key 'staus'" in result.stderr
    assert "broken.yaml: line " in result.stderr
    assert "two.json: request.method: must be a string" in result.stderr
    assert "two.json: request: more than one body source" in result.stderr
    assert not marker.exists()
    report = _report(tmp_path / "TEST-scorecheck.xml")
    assert {c.name for c in report.cases} == {"cases/typo.yaml", "cases/broken.yaml", "cases/two.json"}
    assert {c.type for c in report.cases} == {"FixtureError"}


def test_init_failure_exits_3_with_the_users_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "a.yaml", OK)
    write(tmp_path / "cases" / "b.yaml", OK)
    result = scorecheck(["run", "--no-properties", str(INIT_FAILS), "cases"], cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "init() failed: FileNotFoundError: model file missing" in result.stdout
    assert f'File "{INIT_FAILS}", line 9, in init' in result.stdout
    report = _report(tmp_path / "TEST-scorecheck.xml")
    startup = report.case("startup", "scorecheck.server")
    assert (startup.result, startup.type) == ("error", "InitError")
    assert startup.message is not None
    assert "sc_init_fails.py:5" in startup.message
    assert startup.text is not None
    assert f'File "{INIT_FAILS}", line 9, in init' in startup.text
    skipped = [c for c in report.cases if c.classname == "scorecheck.replay.fixtures"]
    assert [(c.name, c.result, c.message) for c in skipped] == [
        ("a.yaml", "skipped", "not run: server failed to start"),
        ("b.yaml", "skipped", "not run: server failed to start"),
    ]


def test_a_server_dying_mid_run_errors_the_rest_and_exits_3(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "a.yaml", OK)
    write(tmp_path / "cases" / "b.yaml", 'request: {json: {"die": true}}\n')
    write(tmp_path / "cases" / "c.yaml", OK)
    result = scorecheck(["run", "--no-properties", str(ECHO), "cases"], cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "SERVER DIED" in result.stdout
    report = _report(tmp_path / "TEST-scorecheck.xml")
    results = {c.name: (c.result, c.type) for c in report.cases}
    assert results["a.yaml"] == (None, None)
    assert results["b.yaml"] == ("error", "ServerError")
    assert results["c.yaml"] == ("error", "ServerError")


def test_ctrl_c_leaves_no_server_and_writes_the_report(tmp_path: Path) -> None:
    marker = tmp_path / "pgid"
    write(tmp_path / "cases" / "a.yaml", OK)
    write(tmp_path / "cases" / "b.yaml", 'request: {json: {"sleep": 30}}\n')
    write(tmp_path / "cases" / "c.yaml", OK)
    process = subprocess.Popen(
        [str(SCORECHECK), "run", "--no-properties", str(ECHO), "cases", "--env", f"SC_MARKER={marker}"],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # our own group, so the finalizer can end everything it started
    )
    try:
        poll(lambda: marker.exists() and marker.read_text() != "", 30, "the slow request to reach run()")
        pgid = int(marker.read_text())
        assert group_alive(pgid)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=CLI_TIMEOUT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, output
    assert not group_alive(pgid)
    report = _report(tmp_path / "TEST-scorecheck.xml")
    assert report.case("interrupted").type == "Interrupted"
    assert report.case("b.yaml").result == "skipped"
    assert report.case("a.yaml").result is None


@pytest.fixture
def running_server() -> Iterator[ServerProcess]:
    with ServerProcess(str(ECHO)) as server:
        server.wait_ready(time.monotonic() + 30)
        yield server


def test_target_mode_never_echoes_the_secret(tmp_path: Path, running_server: ServerProcess) -> None:
    secret = "s3cret-token-0042"
    write(tmp_path / "cases" / "ok.yaml", OK)
    write(tmp_path / "cases" / "bad.yaml", BAD)
    args = [
        "run",
        "cases",
        "--target",
        running_server.base_url,
        "--header",
        f"Authorization: Bearer {secret}",
    ]
    result = scorecheck([*args, "-v"], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report_text = (tmp_path / "TEST-scorecheck.xml").read_text()
    assert secret not in result.stdout + result.stderr + report_text
    case = _report(tmp_path / "TEST-scorecheck.xml").case("bad.yaml")
    assert case.text is not None
    assert "-H 'Authorization: ***'" in case.text
    assert report_text.count("mode")
    assert 'value="target"' in report_text
    json_result = scorecheck([*args, "--format", "json", "--junit-xml", "other.xml"], cwd=tmp_path)
    assert secret not in json_result.stdout + json_result.stderr


def test_target_mode_tells_inference_schemas_own_500_from_the_scripts(tmp_path: Path) -> None:
    # A documentation-style pandas script: an empty batch fails inference-schema's conversion (a 500 production
    # gives too), which a launched run reads in the log. Without the log the gate predicts it, on every seed.
    write(
        tmp_path / "cases" / "one.yaml",
        'request: {json: {"data": [{"a": 3, "b": "z"}]}}\nexpect: {status: 200}\n',
    )
    with ServerProcess(str(REPO / "tests" / "scripts" / "pandas_schema.py")) as server:
        server.wait_ready(time.monotonic() + 30)
        for seed in ("1", "2"):
            args = ["run", "cases", "--target", server.base_url, "--seed", seed, "--format", "json"]
            result = scorecheck([*args, "--junit-xml", f"seed{seed}.xml"], cwd=tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            cases = {case["name"]: case for case in json.loads(result.stdout)["cases"]}
            warned = cases["not_a_server_error"]
            assert (warned["outcome"], warned["kind"]) == ("passed", "Warning"), warned
            assert "predicted: the endpoint's log is not visible" in warned["details"]


def test_record_then_update_round_trip(tmp_path: Path) -> None:
    write(tmp_path / "inputs" / "one.json", '{"tag": "one", "value": 1.5}')
    write(
        tmp_path / "inputs" / "more.jsonl",
        '{"json": {"tag": "two"}, "headers": {"Authorization": "Bearer nope"}}\n'
        '{"name": "health", "request": {"method": "GET", "path": "/"}}\n',
    )
    record = scorecheck(
        ["record", str(ECHO), "inputs/one.json", "inputs/more.jsonl", "--out", "cases"], cwd=tmp_path
    )
    assert record.returncode == 0, record.stdout + record.stderr
    files = sorted(p.name for p in (tmp_path / "cases").iterdir())
    assert files == ["health.yaml", "more-1.yaml", "one.yaml"]
    assert "nope" not in "".join(p.read_text() for p in (tmp_path / "cases").iterdir())
    assert "${SCORECHECK_AUTHORIZATION}" in record.stderr
    credential = {"SCORECHECK_AUTHORIZATION": "Bearer nope"}  # what the user exports, as told
    one = tmp_path / "cases" / "one.yaml"
    recorded = yaml.safe_load(one.read_text())
    assert recorded["expect"]["json"] == {"echo": {"tag": "one", "value": 1.5}}
    recorded["expect"]["json"]["echo"]["value"] = 2.5  # the script "changed": the snapshot is now stale
    recorded["expect"]["tolerance"] = {"abs": 0.01}
    one.write_text(yaml.safe_dump(recorded))
    stale = scorecheck(["run", "--no-properties", str(ECHO), "cases"], cwd=tmp_path, env=credential)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    update = scorecheck(
        ["run", "--no-properties", str(ECHO), "cases", "--update"], cwd=tmp_path, env=credential
    )
    assert update.returncode == 0, update.stdout + update.stderr
    assert "updated 1 expectation(s) in 1 file(s)" in update.stderr
    _report(tmp_path / "TEST-scorecheck.xml")
    updated = yaml.safe_load(one.read_text())
    assert updated["name"] == "one"
    assert updated["expect"]["tolerance"] == {"abs": 0.01}
    assert updated["expect"]["json"] == {"echo": {"tag": "one", "value": 1.5}}
    rerun = scorecheck(["run", "--no-properties", str(ECHO), "cases"], cwd=tmp_path, env=credential)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


def test_pyproject_settings_tag_selection_and_json_output(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        f"""
        [tool.scorecheck]
        score = "{HOUSING / "score.py"}"
        fixtures = ["{HOUSING / "cases"}"]
        junit-xml = "reports/TEST-scorecheck.xml"
        """,
    )
    result = scorecheck(["run", "--no-properties", "--tag", "smoke", "--format", "json"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["result"]["exit_code"] == 0
    assert sorted(c["name"] for c in doc["cases"] if c["suite"] == "replay") == [
        "liveness probe answers Healthy",
        "one house is priced",
    ]
    # Besides: the runtime suite's startup_time, and memory_growth not checked in a replay-only run.
    assert doc["counts"] == {"passed": 3, "skipped": 1}
    report = _report(tmp_path / "reports" / "TEST-scorecheck.xml")
    assert len(report.cases) == 5


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "a.yaml", OK)
    assert scorecheck(["run", str(ECHO)], cwd=tmp_path).returncode == 2
    assert scorecheck(["run", str(ECHO), "cases", "-k", "nothing-matches"], cwd=tmp_path).returncode == 2
    assert scorecheck(["run", str(ECHO), "cases", "--bogus"], cwd=tmp_path).returncode == 2
    help_text = scorecheck(["run", "--help"], cwd=tmp_path)
    assert help_text.returncode == 0
    assert "exit codes:" in help_text.stdout
    assert "130" in help_text.stdout
