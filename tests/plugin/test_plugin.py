"""The pytest plugin, tested with pytester: inner pytest sessions driving real servers on 127.0.0.1.

Inner sessions run as subprocesses, as users run them: the plugin is loaded through its entry point, and
server processes, xdist workers and signals behave as they do for real. Every test that starts a server
records its process group (an autouse fixture in the inner conftest) and asserts that it is gone after.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from scorecheck.serverproc.process import ServerProcess, group_alive

# Starts many servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parents[1]
GUIDE = REPO / "docs" / "pytest-plugin.md"
SCRIPTS = HERE.parent / "scripts"
ECHO = SCRIPTS / "plugin_echo.py"
INIT_FAILS = SCRIPTS / "plugin_init_fails.py"
SCHEMA = SCRIPTS / "plugin_schema.py"
RUN_TIMEOUT = 600.0  # a deadline for a whole inner pytest session on a loaded machine, not a speed goal
# `--score-entry=PATH` (one word): pytest would take a separate path word as a hint for its rootdir.
ENTRY = f"--score-entry={ECHO}"
QUIET = ("-p", "no:cacheprovider")

# The inner conftest: every server a test touches is written to pids/<pid> (contents: its base URL).
RECORDER = """
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _record_server(request):
    if "score_server" in request.fixturenames:
        server = request.getfixturevalue("score_server")
        Path("pids").mkdir(exist_ok=True)
        Path("pids", str(server.pid)).write_text(server.base_url)
"""


def poll(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def copy_data(pytester: pytest.Pytester, name: str, to: str = "") -> Path:
    target = pytester.path / (to or name)
    shutil.copytree(DATA / name, target)
    return target


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*QUIET, *args, timeout=RUN_TIMEOUT)


def servers(pytester: pytest.Pytester) -> Dict[int, str]:
    """pid -> base URL of every server the inner session recorded."""
    folder = pytester.path / "pids"
    return {int(path.name): path.read_text() for path in folder.iterdir()} if folder.is_dir() else {}


def assert_gone(pids: List[int]) -> None:
    assert pids, "the inner session recorded no server"
    # The inner session has exited: its servers must already be gone, with a moment for the kernel.
    poll(lambda: not any(group_alive(pid) for pid in pids), 5.0, f"server groups {pids} to be gone")


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


# ---------------------------------------------------------------------------------------------------------------
# Inert without the option


def test_without_the_option_nothing_is_collected_imported_or_defined(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "cases")
    pytester.makepyfile(
        test_inert="""
        import sys

        import pytest


        def test_nothing_heavy_is_loaded(request):
            heavy = {"requests", "yaml", "hypothesis", "scorecheck.plugin.state", "scorecheck.plugin.items", "scorecheck.fixtures.load"}
            loaded = heavy & set(sys.modules)
            assert not loaded
            assert not request.config.pluginmanager.has_plugin("scorecheck-active")
            with pytest.raises(pytest.FixtureLookupError):
                request.getfixturevalue("score_server")
        """
    )
    # Not -v: hypothesis's own plugin imports hypothesis to print its profile in a verbose header.
    result = run(pytester)
    result.assert_outcomes(passed=1)  # the fixture files under cases/ are not test items


def test_options_are_grouped_and_usage_errors_are_clear(pytester: pytest.Pytester) -> None:
    help_text = run(pytester, "--help").stdout.str()
    assert "scorecheck: test an AzureML scoring script:" in help_text
    for option in ("--score-entry=SCORE_PY", "--score-fixtures=DIR", "--score-model-dir=DIR"):
        assert option in help_text
    for option in ("--score-server-arg=ARG", "--score-env=KEY=VALUE", "--score-target=URL"):
        assert option in help_text
    for ini in ("score_entry (string)", "score_fixtures (paths)", "score_env (linelist)"):
        assert ini in help_text
    lonely = run(pytester, "--score-fixtures=cases")
    assert lonely.ret == pytest.ExitCode.USAGE_ERROR
    assert "--score-fixtures needs --score-entry" in lonely.stderr.str()
    missing = run(pytester, "--score-entry=nowhere.py")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    assert "--score-entry: no such file:" in missing.stderr.str()


# ---------------------------------------------------------------------------------------------------------------
# Fixture files as test items


USER_TESTS = """
from scorecheck.model import RequestSpec


def test_client_posts_to_the_server(score_client, score_server):
    response = score_client.post("/score", json={"tag": "client"})
    assert response.json()["echo"] == {"tag": "client"}
    assert score_server.base_url.startswith("http://127.0.0.1:")
    assert "plugin_echo ready" in score_server.logs
    assert score_server.process.argv[-1] == "--worker_count=1"


def test_score_request_sends_a_spec(score_request):
    obs = score_request(RequestSpec(body=b'{"tag": "spec"}', body_source="json"))
    assert obs.status == 200
    assert any("plugin_echo handling spec" in line for line in obs.log_lines)
    assert obs.curl.startswith("curl ")


def test_a_failing_test_gets_the_server_log(score_client):
    assert score_client.post("/score", json={"tag": "why"}).json()["echo"] == {"tag": "not this"}
"""


def test_fixture_cases_become_items_with_ids_outcomes_diff_and_junit(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "cases")
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_user=USER_TESTS)
    args = (ENTRY, "--score-fixtures=cases", "--score-server-arg=--worker_count=1")
    result = run(pytester, *args, "-v", "--junitxml=report.xml")
    result.assert_outcomes(passed=5, failed=2, skipped=1)
    result.stdout.fnmatch_lines_random(
        [
            "cases/bad.yaml::bad.yaml FAILED*",
            "cases/nested/many.yaml::first PASSED*",
            "cases/nested/many.yaml::many.yaml[[]1[]] PASSED*",
            "cases/nested/many.yaml::skipped one SKIPPED (not today)*",
            "cases/ok.yaml::ok case PASSED*",
            "FAILED cases/bad.yaml::bad.yaml - $.echo.n: expected 3, got 2",
        ]
    )
    text = output(result)
    # The CLI's failure text: diff, request, curl, the replay command and the request's log lines.
    assert "\n$.echo.n: expected 3, got 2\n" in text
    assert "reproduce: curl -sS -i -X POST http://127.0.0.1:" in text
    assert "replay:    pytest --score-entry" in text
    assert "plugin_echo handling bad" in text
    # A user's failing test gets the server's lines of that test, and only those.
    assert "scorecheck server log (lines the server printed during this test)" in text
    assert "plugin_echo handling why" in text
    assert text.count("plugin_echo handling client") == 0
    _check_junit(pytester.path / "report.xml")
    assert len(servers(pytester)) == 1
    assert_gone(list(servers(pytester)))


def _check_junit(path: Path) -> None:
    cases = {(c.get("classname"), c.get("name")): c for c in ET.parse(path).getroot().iter("testcase")}
    assert len(cases) == 8  # keys are unique, so the classname/name pairs are too
    assert set(cases) >= {
        ("cases.ok.yaml", "ok case"),
        ("cases.bad.yaml", "bad.yaml"),
        ("cases.nested.many.yaml", "first"),
        ("cases.nested.many.yaml", "many.yaml[1]"),
        ("test_user", "test_a_failing_test_gets_the_server_log"),
    }
    failure = cases[("cases.bad.yaml", "bad.yaml")].find("failure")
    assert failure is not None
    assert failure.get("message") == "$.echo.n: expected 3, got 2"
    assert "reproduce: curl" in (failure.text or "")
    user_failure = cases[("test_user", "test_a_failing_test_gets_the_server_log")].find("failure")
    assert user_failure is not None
    assert "plugin_echo handling why" in (user_failure.text or "")


def _collected(pytester: pytest.Pytester, *args: str) -> List[str]:
    result = run(pytester, "--collect-only", "-q", *args)
    assert result.ret == pytest.ExitCode.OK, output(result)
    return [line for line in result.stdout.lines if "::" in line]


def test_k_and_tag_markers_select_cases(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "cases")
    fixtures = "--score-fixtures=cases"
    assert _collected(pytester, ENTRY, fixtures, "-k", "first or ok") == [
        "cases/nested/many.yaml::first",
        "cases/ok.yaml::ok case",
    ]
    assert _collected(pytester, ENTRY, fixtures, "-m", "smoke") == ["cases/ok.yaml::ok case"]
    assert _collected(pytester, ENTRY, fixtures, "-m", "scorecheck and not (smoke or batch)") == [
        "cases/bad.yaml::bad.yaml",
        "cases/nested/many.yaml::many.yaml[1]",
        "cases/nested/many.yaml::skipped one",
    ]


def test_malformed_fixture_files_are_collection_errors(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "broken")
    result = run(pytester, ENTRY, "--score-fixtures=broken")
    assert result.ret == pytest.ExitCode.INTERRUPTED, output(result)
    text = output(result)
    assert "ERROR collecting broken/typo.yaml" in text
    assert "problem(s) in fixture file" in text
    assert "expect.staus: unknown key 'staus'" in text


# ---------------------------------------------------------------------------------------------------------------
# The server


def test_a_failing_init_is_one_setup_error_naming_the_users_file_and_line(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "cases")
    pytester.makepyfile(test_user="def test_needs_the_server(score_client):\n    pass\n")
    result = run(pytester, f"--score-entry={INIT_FAILS}", "--score-fixtures=cases", "-rs")
    # One error; the other server users are skipped as "not run", and the case with `skip:` stays skipped.
    result.assert_outcomes(errors=1, skipped=5)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = output(result)
    headline = f"init() failed: FileNotFoundError: weights missing: /nowhere/weights.bin ({INIT_FAILS}:5)"
    assert text.count(headline) == 1, text
    assert f'File "{INIT_FAILS}", line 9, in init' in text
    assert "not run: the scoring server failed to start (see the error of cases/bad.yaml::bad.yaml)" in text


def test_ini_settings_and_overridden_fixtures_configure_the_server(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "greeting")
    shutil.copy(ECHO, pytester.path / "score.py")  # relative to the ini file
    models = pytester.mkdir("models")
    pytester.makeini(
        """
        [pytest]
        score_entry = score.py
        score_fixtures = greeting
        score_env =
            PLUGIN_GREETING=from-ini
        score_server_args = --worker_count 1
        score_startup_timeout = 60
        """
    )
    pytester.makeconftest(
        RECORDER
        + f"""

@pytest.fixture(scope="session")
def score_model_dir():
    return {str(models)!r}
"""
    )
    pytester.makepyfile(
        test_settings=f"""
        from pathlib import Path


        def test_model_dir_comes_from_the_conftest(score_client, score_server):
            assert score_server.process.argv[-2:] == ("--worker_count", "1")
            assert score_client.post("/score", json={{}}).json()["model_dir"] == {str(models)!r}


        def test_restart_keeps_the_url(score_server, score_client):
            url, pid = score_server.base_url, score_server.pid
            score_server.restart(env={{"PLUGIN_GREETING": "again"}})
            Path("pids", str(score_server.pid)).write_text(score_server.base_url)
            assert (score_server.base_url, score_server.pid != pid) == (url, True)
            assert score_client.post("/score", json={{}}).json()["greeting"] == "again"
        """
    )
    # With path arguments, ini fixture folders are not added: `pytest test_settings.py` runs just that.
    assert _collected(pytester, "test_settings.py") == [
        "test_settings.py::test_model_dir_comes_from_the_conftest",
        "test_settings.py::test_restart_keeps_the_url",
    ]
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["greeting/greets.yaml::the server sees the ini environment PASSED*"])
    assert len(servers(pytester)) == 2
    assert_gone(list(servers(pytester)))


def test_target_mode_uses_a_running_endpoint(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "cases")
    pytester.makepyfile(
        test_target="""
        def test_no_process_of_ours(score_server, score_client):
            assert score_server.pid is None
            assert score_client.post("/score", json={"tag": "t"}).json()["echo"] == {"tag": "t"}
        """
    )
    with ServerProcess(str(ECHO)) as server:
        server.wait_ready(time.monotonic() + 60)
        result = run(
            pytester, f"--score-target={server.base_url}", "--score-fixtures=cases", "-k", "ok or target"
        )
    result.assert_outcomes(passed=2)


def test_target_mode_predicts_inference_schemas_own_500(pytester: pytest.Pytester) -> None:
    # No server log under --score-target: check() predicts the conversion failure, as the gate does.
    pytester.makepyfile(
        test_conversion="""
        import json

        from scorecheck.model import RequestSpec

        JSON = (("Content-Type", "application/json"),)


        def spec(body):
            return RequestSpec(body=json.dumps(body).encode(), headers=JSON, body_source="json")


        def test_an_empty_frame_is_the_conversions_500(score_request):
            assert score_request.check(spec({"data": []})).status == 500  # a warning: no AssertionError


        def test_a_converted_frame_is_scored(score_request):
            assert score_request.check(spec({"data": [{"a": 1, "b": "x"}]})).status == 200
        """
    )
    with ServerProcess(str(SCRIPTS / "pandas_schema.py")) as server:
        server.wait_ready(time.monotonic() + 60)
        result = run(pytester, f"--score-target={server.base_url}")
    result.assert_outcomes(passed=2)


def test_xdist_gives_each_worker_its_own_server(pytester: pytest.Pytester) -> None:
    copy_data(pytester, "cases")
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(
        test_many="""
        import pytest


        @pytest.mark.parametrize("n", range(6))
        def test_echo(score_client, n):
            assert score_client.post("/score", json={"n": n}).json()["echo"] == {"n": n}
        """
    )
    result = run(pytester, "-n", "2", ENTRY, "--score-fixtures=cases")
    result.assert_outcomes(passed=9, failed=1, skipped=1)
    found = servers(pytester)
    assert len(found) == 2, found
    assert len(set(found.values())) == 2  # two ports
    assert_gone(list(found))


def test_xdist_spreads_fixture_items_over_the_workers_servers(pytester: pytest.Pytester) -> None:
    # `pytest --score-entry score.py -n 2` with fixture items only: each item is answered by the server of the
    # worker that ran it, both workers take items, and no server outlives the session.
    served = pytester.path / "served"
    served.mkdir()
    for n in range(8):
        (pytester.path / "cases" / f"c{n}.yaml").parent.mkdir(exist_ok=True)
        (pytester.path / "cases" / f"c{n}.yaml").write_text(
            f'name: c{n}\nrequest: {{json: {{"tag": "c{n}"}}}}\nexpect: {{json_subset: {{"echo": {{"tag": "c{n}"}}}}}}\n'
        )
    result = run(
        pytester, "-n", "2", "-v", ENTRY, "--score-fixtures=cases", f"--score-env=PLUGIN_SERVED={served}"
    )
    result.assert_outcomes(passed=8)
    worker_of = {
        name: worker
        for worker, name in re.findall(r"\[(gw\d)\] \[ *\d+%\] PASSED cases/c\d\.yaml::(c\d)", output(result))
    }
    assert sorted(worker_of) == [f"c{n}" for n in range(8)]
    assert set(worker_of.values()) == {"gw0", "gw1"}
    server_of = {path.name: int(path.read_text()) for path in served.iterdir()}
    assert sorted(server_of) == sorted(worker_of)
    groups = {
        worker: {server_of[name] for name, w in worker_of.items() if w == worker} for worker in ("gw0", "gw1")
    }
    assert all(len(group) == 1 for group in groups.values()), groups  # one server per worker, all along
    assert groups["gw0"] != groups["gw1"]
    assert_gone([group.pop() for group in groups.values()])


def test_a_server_dying_mid_session_is_reported_where_it_happened(pytester: pytest.Pytester) -> None:
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "dies.yaml").write_text('request: {json: {"die": true}}\n')
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_after="def test_after_the_crash(score_client):\n    pass\n")
    result = run(pytester, ENTRY, "--score-fixtures=cases")
    result.assert_outcomes(failed=1, errors=1)
    text = output(result)
    assert "FAILED cases/dies.yaml::dies.yaml" in text
    assert "\nthe server died during this request (exit code -9)\n" in text
    assert "the scoring server exited with code -9 earlier in this session" in text
    assert_gone(list(servers(pytester)))


# ---------------------------------------------------------------------------------------------------------------
# Interrupted sessions


def _slow_session(pytester: pytest.Pytester, marker: Path, *extra: str) -> subprocess.Popen[str]:
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(
        test_slow="""
        import pytest


        @pytest.mark.parametrize("n", range(2))
        def test_slow(score_client, n):
            score_client.post("/score", json={"sleep": 60})
        """
    )
    command = [sys.executable, "-m", "pytest", *QUIET, *extra, ENTRY, f"--score-env=PLUGIN_MARKER={marker}"]
    # A session of its own, so that the finally below can end everything it started.
    return pytester.popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _in_flight(
    pytester: pytest.Pytester, process: subprocess.Popen[str], marker: Path, count: int
) -> List[int]:
    """The server groups once `count` servers run and a slow request has reached run()."""
    poll(lambda: marker.exists() and marker.read_text() != "", 60, "the slow request to reach run()")
    poll(lambda: len(servers(pytester)) == count, 60, f"{count} server(s) to be recorded")
    pgids = list(servers(pytester))
    assert all(group_alive(pgid) for pgid in pgids)
    assert process.poll() is None
    return pgids


def _end(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("workers", [0, 2], ids=["no-xdist", "xdist"])
def test_ctrl_c_during_a_test_leaves_no_server(pytester: pytest.Pytester, workers: int) -> None:
    marker = pytester.path / "pgid"
    process = _slow_session(pytester, marker, *(("-n", str(workers)) if workers else ()))
    try:
        pgids = _in_flight(pytester, process, marker, max(workers, 1))
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        text, _ = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        _end(process)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, text
    assert "KeyboardInterrupt" in text
    assert_gone(pgids)


def test_a_killed_session_leaves_no_server(pytester: pytest.Pytester) -> None:
    marker = pytester.path / "pgid"
    process = _slow_session(pytester, marker)
    try:
        pgids = _in_flight(pytester, process, marker, 1)
        os.kill(process.pid, signal.SIGKILL)  # no teardown at all: the reaper must end the server
        process.wait()
    finally:
        _end(process)
    poll(lambda: not any(group_alive(pgid) for pgid in pgids), 10.0, "the reaper to end the server group")


# ---------------------------------------------------------------------------------------------------------------
# Hypothesis


def test_payload_strategies_work_with_given(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_props="""
        import json

        from hypothesis import given, settings

        from scorecheck.plugin import score_malformed_payloads, score_payloads


        @settings(max_examples=10, deadline=None, database=None)
        @given(spec=score_payloads())
        def test_valid_payloads_are_scored(score_request, spec):
            obs = score_request.check(spec)  # no 5xx, strict JSON, the output schema, a live worker
            assert obs is not None
            if obs.status == 200:
                assert json.loads(obs.body)["rows"] == len(json.loads(spec.body)["data"])


        @settings(max_examples=10, deadline=None, database=None)
        @given(spec=score_malformed_payloads())
        def test_malformed_payloads_do_not_break_the_server(score_request, spec):
            # Not malformed_input_rejected: inference-schema answers some wrong types with a 500.
            score_request.check(spec, kind="malformed", checks=["server_survives", "valid_json"])
        """
    )
    result = run(pytester, f"--score-entry={SCHEMA}")
    result.assert_outcomes(passed=2)


# ---------------------------------------------------------------------------------------------------------------
# The guide


def test_the_guides_example_module_passes(pytester: pytest.Pytester) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    section = guide.split("## A full example test module", 1)[1]
    module = section.split("```python\n", 1)[1].split("```", 1)[0]
    shutil.copytree(REPO / "fixtures" / "housing", pytester.path / "fixtures" / "housing")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_scoring.py").write_text(module, encoding="utf-8")
    result = run(
        pytester,
        "--score-entry=fixtures/housing/score.py",
        "--score-fixtures=fixtures/housing/cases",
        "tests/test_scoring.py",
    )
    result.assert_outcomes(passed=17)  # the nine fixture cases and the module's eight tests
