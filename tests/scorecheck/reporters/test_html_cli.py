"""`scorecheck run --html` end to end: a real CLI process, a real server, and the page it writes parsed back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Dict, List

import pytest

from scorecheck.cli.preflight import preflight
from scorecheck.config import RunConfig, project_values, read_settings
from tests.scorecheck.reporters.test_html import all_text, assert_self_contained, by_id, parse
from tests.scorecheck.sc_support import ECHO, HOUSING, INIT_FAILS, SCRIPTS, scorecheck, write

# Starts servers and runs a property phase: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

HOSTILE_TAG = "<script>alert('tag')</script>"


def _svg_labels(figure: ET.Element) -> List[str]:
    svg = figure.find("svg")
    assert svg is not None, f"no plot in {all_text(figure)[:200]}"
    return [all_text(label) for label in svg.iter("text") if "label" in (label.get("class") or "").split()]


def test_the_bundled_example_gets_a_page_with_the_scaling_and_latency_plots(tmp_path: Path) -> None:
    result = scorecheck(
        [
            "run",
            str(HOUSING / "score.py"),
            str(HOUSING / "cases"),
            "--max-examples",
            "40",
            "--html",
            "out/report.html",
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "out/report.html" in result.stdout.splitlines()[-1]  # the last line names every report written
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    root = parse(page)
    assert "PASSED" in all_text(by_id(root, "summary"))
    assert _svg_labels(by_id(root, "m-batch_scaling")) == ["batch items", "latency (ms)"]
    latency = by_id(root, "m-latency")
    assert _svg_labels(latency) == [
        "share of requests answered within the time (%)",
        "latency (ms), log scale",
    ]
    notes: Dict[str, str] = {all_text(row[0]): all_text(row[1]) for row in latency.iter("tr")}
    replayed, searched = (
        int(notes["requests sent by the replay"]),
        int(notes["requests sent by the property phase"]),
    )
    assert replayed == len(list((HOUSING / "cases").glob("*.yaml"))) + 1  # batches.yaml holds two cases
    assert int(notes["requests"]) == replayed + searched
    assert int(notes["near examples"]) > 0
    assert {all_text(row[0]) for row in next(by_id(root, "suite-property").iter("table"))} >= {
        "near",
        "hostile",
    }


def test_a_failing_fixture_shows_its_diff_curl_and_log_lines_as_text(tmp_path: Path) -> None:
    write(
        tmp_path / "cases" / "tagged.yaml",
        f"""
        request: {{json: {{"tag": "{HOSTILE_TAG}"}}}}
        expect: {{json: {{"echo": {{"tag": "something else"}}}}}}
        """,
    )
    args = ["run", str(ECHO), "cases", "--no-properties", "--html", "report.html"]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert HOSTILE_TAG not in page  # never as markup
    assert_self_contained(page)
    root = parse(page)
    failure = by_id(root, "failure-1")
    text = all_text(failure)
    assert HOSTILE_TAG in text  # but shown as the text that was sent
    assert f"sc_echo handling {HOSTILE_TAG}" in text  # the server's log line of the request
    fields = [all_text(item) for item in failure.iter("dt")]
    assert fields == ["fixture", "reproduce", "replay"]
    curl = next(
        all_text(dd) for dt, dd in zip(failure.iter("dt"), failure.iter("dd")) if all_text(dt) == "reproduce"
    )
    assert curl.startswith("curl ")
    assert "/score" in curl
    assert "FAILED (exit code 1)" in all_text(by_id(root, "summary"))


def test_credentials_never_reach_the_page(tmp_path: Path) -> None:
    secret = "s3cret-token-0042"
    # The script logs the Authorization header, echoes it in its answer and raises with it in the message.
    write(
        tmp_path / "cases" / "echoed.yaml", 'request: {json: {"tag": "x"}}\nexpect: {json: {"headers": {}}}\n'
    )
    write(tmp_path / "cases" / "raised.yaml", 'request: {json: {"raise": true}}\n')
    script = str(SCRIPTS / "sc_headers_echo.py")
    args = ["run", script, "cases", "--header", f"Authorization: Bearer {secret}", "--html", "report.html"]
    result = scorecheck([*args, "--max-examples", "10"], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert secret not in page
    failures = all_text(by_id(parse(page), "failures"))
    assert "-H 'Authorization: ***'" in failures  # the curl command
    assert "sc_headers_echo got Authorization ***" in failures  # the log line is there, its value redacted


def test_a_failed_start_is_on_the_page_with_the_users_traceback(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "a.yaml", 'request: {json: {"tag": "a"}}\n')
    result = scorecheck(["run", str(INIT_FAILS), "cases", "--html", "report.html"], cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    root = parse((tmp_path / "report.html").read_text(encoding="utf-8"))
    server = all_text(by_id(root, "server"))
    assert "The server failed to start" in server
    assert f'File "{INIT_FAILS}", line 9, in init' in server
    assert "FAILED (exit code 3)" in all_text(by_id(root, "summary"))
    assert "not run: server failed to start" in all_text(by_id(root, "suite-replay"))


def test_html_is_read_from_pyproject_and_checked_before_the_run(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", '[tool.scorecheck]\nhtml = "reports/run.html"\n')
    assert project_values(read_settings(pyproject), tmp_path)["html"].endswith("reports/run.html")
    (tmp_path / "folder").mkdir()
    (tmp_path / "score.py").write_text("def init(): pass\ndef run(data): return data\n")
    config = RunConfig(entry_script=str(tmp_path / "score.py"), fixtures=("cases",), junit_xml=None)
    folder = str(tmp_path / "folder")
    assert preflight(replace(config, html=folder)) == [
        f"--html {folder}: is a folder; give a file path such as {Path(folder) / 'report.html'}"
    ]
    assert preflight(replace(config, html=str(tmp_path / "new" / "report.html"))) == []


def test_a_report_that_cannot_be_written_fails_a_passing_run_and_leaves_the_device(tmp_path: Path) -> None:
    args = ["run", str(HOUSING / "score.py"), str(HOUSING / "cases"), "--no-properties", "-q"]
    result = scorecheck([*args, "--html", "/dev/full", "--junit-xml", "/dev/null"], cwd=tmp_path)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "could not write the report /dev/full: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert Path("/dev/full").is_char_device()
    assert Path("/dev/null").is_char_device()
