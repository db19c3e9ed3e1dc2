"""What the gate writes and prints, end to end with real servers: recorded requests are exact, volatile fields
are ignored, no secret reaches a file, every printed replay command reruns its failure, files land in their
places."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from tests.scorecheck.sc_support import SCRIPTS, scorecheck, write

from .fastml_launcher import copy_service, start_fastml

pytestmark = pytest.mark.slow

KEY_ORDER = SCRIPTS / "sc_key_order.py"
PRETTY = '{\n  "zeta": 1.50,\n  "alpha": [1e-7, 2],\n  "mid": "x"\n}\n'


def test_record_sends_and_stores_the_request_exactly_as_given(tmp_path: Path) -> None:
    write(tmp_path / "inputs" / "batch.json", PRETTY)
    (tmp_path / "inputs" / "rows.jsonl").write_text(
        '{"json": {"zeta": 1.50, "alpha": 1E5, "mid": null}}\n{"json": {"alpha": 1, "zeta": 2, "mid": 3}}\n'
    )
    args = ["record", str(KEY_ORDER), "inputs/batch.json", "inputs/rows.jsonl", "--out", "cases"]
    record = scorecheck(args, cwd=tmp_path)
    assert record.returncode == 0, record.stdout + record.stderr
    batch = yaml.safe_load((tmp_path / "cases" / "batch.yaml").read_text())
    assert batch["request"]["body"] == PRETTY
    # The script saw the bytes of the file: key order, number spelling and layout.
    assert batch["expect"] == {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "json": {"columns": ["zeta", "alpha", "mid"], "raw": PRETTY},
    }
    row = yaml.safe_load((tmp_path / "cases" / "rows-1.yaml").read_text())
    assert row["expect"]["json"]["raw"] == '{"zeta": 1.50, "alpha": 1E5, "mid": null}'
    # A request whose keys are out of order is recorded as what the script answers to it.
    assert yaml.safe_load((tmp_path / "cases" / "rows-2.yaml").read_text())["expect"]["status"] == 500
    replay = scorecheck(["run", "--no-properties", str(KEY_ORDER), "cases"], cwd=tmp_path)
    assert replay.returncode == 0, replay.stdout + replay.stderr


def test_update_rewrites_the_expectation_and_not_the_request(tmp_path: Path) -> None:
    fixture = write(
        tmp_path / "cases" / "one.yaml",
        """
        request:
          json: {zeta: 1.50, alpha: 1e-7, mid: 2}
        expect:
          json: {columns: [zeta, alpha, mid], raw: stale}
        """,
    )
    update = scorecheck(["run", "--no-properties", str(KEY_ORDER), "cases", "--update"], cwd=tmp_path)
    assert update.returncode == 0, update.stdout + update.stderr
    text = fixture.read_text()
    assert "json: {zeta: 1.50, alpha: 1e-7, mid: 2}" in text
    assert yaml.safe_load(text)["expect"]["json"]["raw"] == '{"zeta": 1.50, "alpha": 1e-7, "mid": 2}'
    rerun = scorecheck(["run", "--no-properties", str(KEY_ORDER), "cases"], cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


UNIFIED_PROBE = SCRIPTS / "unified_probe.py"
HEADERS_ECHO = SCRIPTS / "sc_headers_echo.py"


def test_a_recording_of_volatile_answers_replays_green(tmp_path: Path) -> None:
    write(tmp_path / "inputs" / "x.json", '{"b": 1, "a": [1.50, 2]}')
    unified = ["record", str(UNIFIED_PROBE), "inputs/x.json", "--path", "/infer", "--out", "infer"]
    assert scorecheck(unified, cwd=tmp_path).returncode == 0
    recorded = yaml.safe_load((tmp_path / "infer" / "x.yaml").read_text())
    assert "duration" in recorded["expect"]["json"]["metadata"]
    # The request id and the time of the answer, both in the body.
    assert (
        scorecheck(["record", str(HEADERS_ECHO), "inputs/x.json", "--out", "echo"], cwd=tmp_path).returncode
        == 0
    )
    for script, cases in ((UNIFIED_PROBE, "infer"), (HEADERS_ECHO, "echo")):
        replay = scorecheck(["run", "--no-properties", str(script), cases], cwd=tmp_path)
        assert replay.returncode == 0, replay.stdout + replay.stderr
    strict = scorecheck(
        ["run", "--no-properties", "--no-default-ignore", str(UNIFIED_PROBE), "infer"], cwd=tmp_path
    )
    assert strict.returncode == 1
    assert "$.metadata.duration: expected" in strict.stdout


def test_the_ignore_list_is_extendable_in_pyproject_and_on_the_command_line(tmp_path: Path) -> None:
    write(
        tmp_path / "cases" / "a.yaml",
        'request: {json: {"v": 1}}\nexpect: {json_subset: {"input": {"v": 2}}}\n',
    )
    args = ["run", "--no-properties", str(HEADERS_ECHO), "cases"]
    assert scorecheck(args, cwd=tmp_path).returncode == 1
    assert scorecheck([*args, "--ignore", "$.input.v"], cwd=tmp_path).returncode == 0
    write(tmp_path / "pyproject.toml", '[tool.scorecheck]\nignore = ["$.input"]\n')
    assert scorecheck(args, cwd=tmp_path).returncode == 0
    bad = scorecheck([*args, "--ignore", "input"], cwd=tmp_path)
    assert bad.returncode == 2
    assert "must start with '$'" in bad.stderr


SECRET = "S3CRET"


def _files_holding(root: Path, text: str, skip: str) -> list[str]:
    return [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and skip not in path.parts and text.encode() in path.read_bytes()
    ]


def test_no_secret_reaches_a_file(tmp_path: Path) -> None:
    write(tmp_path / "inputs" / "x.json", '{"raise": false, "v": 1}')
    (tmp_path / "inputs" / "keyed.jsonl").write_text(
        '{"json": {"raise": false}, "headers": {"X-Api-Key": "K3Y-S3CRET-42"}}\n'
    )
    header = ["--header", f"Authorization: Bearer {SECRET}"]
    inputs = ["inputs/x.json", "inputs/keyed.jsonl"]
    record = scorecheck(["record", str(HEADERS_ECHO), *inputs, "--out", "cases", *header], cwd=tmp_path)
    assert record.returncode == 0, record.stdout + record.stderr
    recorded = yaml.safe_load((tmp_path / "cases" / "keyed-1.yaml").read_text())
    assert recorded["request"]["headers"]["X-Api-Key"] == "${SCORECHECK_X_API_KEY}"
    assert recorded["expect"]["json"]["headers"]["Authorization"] == "***"
    assert recorded["expect"]["json"]["headers"]["X-Api-Key"] == "***"
    # A stale expectation, rewritten by --update while the property phase finds a failure and saves it.
    stale = (tmp_path / "cases" / "x.yaml").read_text().replace("v: 1}", "v: 2}")
    (tmp_path / "cases" / "x.yaml").write_text(stale)
    args = [
        "run",
        str(HEADERS_ECHO),
        "cases",
        "--update",
        *header,
        "--max-examples",
        "40",
        "--max-time",
        "20",
    ]
    env = {"SCORECHECK_X_API_KEY": "K3Y-S3CRET-42"}
    text = scorecheck([*args, "--junit-xml", "reports/text.xml"], cwd=tmp_path, env=env)
    assert text.returncode == 1, text.stdout + text.stderr
    assert "not_a_server_error" in text.stdout
    assert "updated 1 expectation(s)" in text.stderr
    as_json = scorecheck(
        [*args, "--junit-xml", "reports/json.xml", "--format", "json"], cwd=tmp_path, env=env
    )
    assert as_json.returncode == 1, as_json.stdout + as_json.stderr
    (tmp_path / "out.json").write_text(as_json.stdout)
    assert list((tmp_path / ".scorecheck").rglob("*.json")), "no failure was saved"
    assert "refused for ***" in (tmp_path / "reports" / "text.xml").read_text()
    assert _files_holding(tmp_path, SECRET, skip="inputs") == []
    for result in (record, text, as_json):
        assert SECRET not in result.stdout + result.stderr


CONFIGURED = SCRIPTS / "sc_configured.py"


def _replays(output: str) -> list[str]:
    return [
        line.split("replay:", 1)[1].strip()
        for line in output.splitlines()
        if line.strip().startswith("replay:")
    ]


def _failed(report: Path) -> dict[str, str]:
    """Failing test case name -> its failure message, from a JUnit report."""
    root = ElementTree.parse(report).getroot()
    return {
        case.get("name", ""): failure.get("message", "")
        for case in root.iter("testcase")
        for failure in case.iter("failure")
    }


def test_every_printed_replay_command_reruns_its_failure(tmp_path: Path) -> None:
    write(tmp_path / "model" / "model.txt", "m1")
    expected = {"model": "m1", "mode": "fast", "workers": "2", "authorised": True, "input": {"n": 1}}
    write(
        tmp_path / "cases" / "all.yaml",
        f"name: needs every setting\nrequest: {{json: {{n: 1}}}}\nexpect: {{json: {json.dumps({**expected, 'gone': 1})}}}\n",
    )
    args = [
        "run",
        str(CONFIGURED),
        "cases",
        "--model-dir",
        "model",
        "--env",
        "SC_MODE=fast",
        "--server-arg=--worker_count=2",
        "--header",
        f"Authorization: Bearer {SECRET}",
        "--max-examples",
        "30",
    ]
    first = scorecheck(args, cwd=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    original = _failed(tmp_path / "TEST-scorecheck.xml")
    assert original["needs every setting"] == "$.gone: expected number 1, key missing"
    assert "not_a_server_error" in original
    replays = _replays(first.stdout)
    # The fixture case, and each failed property check (not_a_server_error, output_schema) by its saved file.
    assert len(replays) == len(original) >= 2
    assert all(SECRET not in replay for replay in replays)
    assert "export SCORECHECK_AUTHORIZATION first" in first.stdout
    exported = {"SCORECHECK_AUTHORIZATION": f"Bearer {SECRET}"}
    for replay in replays:
        words = shlex.split(replay)
        assert words[0] == "scorecheck"
        again = scorecheck(words[1:], cwd=tmp_path, env=exported)
        assert again.returncode == 1, replay + "\n" + again.stdout + again.stderr
        failed = _failed(tmp_path / "TEST-scorecheck.xml")
        if "-k" in words:
            assert failed == {"needs every setting": original["needs every setting"]}
        else:
            saved = Path(words[3])
            assert (tmp_path / saved).is_file()
            assert list(failed) == [f"property {saved.stem}"]


def test_messages_read_the_unified_envelope(tmp_path: Path) -> None:
    write(
        tmp_path / "cases" / "n.yaml",
        "request: {path: /infer, json: {n: 1}}\nexpect: {json_subset: {result: true, data: {n: 1}}}\n",
    )
    args = [
        "run",
        str(SCRIPTS / "sc_unified_fails.py"),
        "cases",
        "--max-examples",
        "30",
        "--checks",
        "not_a_server_error",
    ]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    message = _failed(tmp_path / "TEST-scorecheck.xml")["not_a_server_error"]
    assert message.startswith("[near] status 500 for near input: InferError: n must not be negative")


def test_the_header_line_names_the_server_that_answered(tmp_path: Path) -> None:
    write(
        tmp_path / "cases" / "echo.yaml",
        "request: {path: /infer, json: {k: v}}\nexpect: {json_subset: {data: {k: v}}}\n",
    )
    server = start_fastml(copy_service("echo", tmp_path / "services"))
    try:
        fastml = scorecheck(["run", "--no-properties", "cases", "--target", server.url], cwd=tmp_path)
    finally:
        server.stop()
    assert fastml.returncode == 0, fastml.stdout + fastml.stderr
    assert "1 case planned; server fastml/" in fastml.stdout
    azml = scorecheck(["run", "--no-properties", str(UNIFIED_PROBE), "cases"], cwd=tmp_path)
    assert "1 case planned; server azmlinfsrv/1.5.1" in azml.stdout


MEAN = 'request: {json: {"data": [1.0, 2.0, 3.0]}}\nexpect: {json: {"mean": 2.0}}\n'


def test_saved_failures_go_under_their_script_and_hypothesis_leaves_no_folder(tmp_path: Path) -> None:
    # Two scripts of the same name in different folders would clash too: the stem is what they share here,
    # so the folders are two differently named copies of one failing script.
    for name in ("alpha", "beta"):
        (tmp_path / f"{name}.py").write_text((SCRIPTS / "prop_empty_list.py").read_text())
    write(tmp_path / "cases" / "mean.yaml", MEAN)
    budget = ["--max-examples", "30", "--checks", "not_a_server_error"]
    for name in ("alpha", "beta"):
        result = scorecheck(["run", f"{name}.py", "cases", *budget], cwd=tmp_path)
        assert result.returncode == 1, result.stdout + result.stderr
    failures = tmp_path / ".scorecheck" / "failures"
    assert sorted(p.parent.name for p in failures.rglob("*.json")) == ["alpha", "beta"]
    assert not (tmp_path / ".hypothesis").exists()
    kept = scorecheck(["run", "alpha.py", "cases", *budget, "--hypothesis-database", "db"], cwd=tmp_path)
    assert kept.returncode == 1, kept.stdout + kept.stderr
    # The database lives there (hypothesis saves into it only the failures it found itself, and the near
    # sweep usually finds this one first).
    assert (tmp_path / "db").is_dir()
    assert not (tmp_path / ".hypothesis").exists()


def test_output_paths_that_cannot_be_written_are_usage_errors(tmp_path: Path) -> None:
    marker = tmp_path / "server-started"
    write(tmp_path / "cases" / "mean.yaml", MEAN)
    (tmp_path / "reports").mkdir()
    env = ["--env", f"SC_INIT_MARKER={marker}"]
    report = scorecheck(
        ["run", str(SCRIPTS / "sc_echo.py"), "cases", "--junit-xml", "reports", *env], cwd=tmp_path
    )
    assert report.returncode == 2
    assert (
        "--junit-xml reports: is a folder; give a file path such as reports/TEST-scorecheck.xml"
        in report.stderr
    )
    assert "Traceback" not in report.stderr
    assert not marker.exists()  # refused before any server started
    write(tmp_path / "inputs" / "a.json", "{}")
    write(tmp_path / "taken.yaml", "x: 1\n")
    args = ["record", str(SCRIPTS / "sc_echo.py"), "inputs/a.json", "--out", "taken.yaml", *env]
    out = scorecheck(args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "scorecheck: error: --out taken.yaml: is a file; give the folder the new fixtures go in"
    ]
    assert not marker.exists()


def test_json_output_gives_the_run_properties_as_an_object(tmp_path: Path) -> None:
    write(
        tmp_path / "cases" / "ok.yaml",
        'request: {json: {"tag": "ok"}}\nexpect: {json: {"echo": {"tag": "ok"}}}\n',
    )
    result = scorecheck(
        ["run", "--no-properties", str(SCRIPTS / "sc_echo.py"), "cases", "--format", "json"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    properties = json.loads(result.stdout)["run"]["properties"]
    assert properties["mode"] == "subprocess"
    assert properties["base_url"].startswith("http://127.0.0.1:")
