"""The property phase's progress and per-tier figures end to end, and two verdicts that need a real server: the
output schema never checked when no 2xx was seen, and `--input-schema` opening the schema tier to an undecorated
script. The real CLI against real azmlinfsrv processes; every report is validated against the JUnit profile.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest

from tests.scorecheck.junit_checks import Report, check_report
from tests.scorecheck.sc_support import CLI_TIMEOUT, SCORECHECK, SCRIPTS, cli_env, scorecheck, write

# Starts servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

VALIDATING = SCRIPTS / "prop_ok_validating.py"
VALIDATING_CASES = """
    cases:
      - request: {json: {"data": [1, 2.5]}}
        expect: {json: {"total": 3.5, "count": 2}}
      - request: {json: {"data": [1, 2], "weights": [0.5, 2]}}
        expect: {json: {"total": 4.5, "count": 2}}
    """
# Bounded by examples; --max-time only keeps a loaded machine from cutting the phase short.
BUDGET = ("--max-examples", "60", "--max-time", "600")
FIGURES = r"near \d+ · schema \d+ · hostile \d+ · \d+ failures? · \d+ s left"
LIVE = re.compile(r"\r\[[=> ]{10}\] +\d+%  " + FIGURES)
PLAIN = re.compile(r"^property phase: \d+% · " + FIGURES + "$", re.MULTILINE)
SUMMARY = re.compile(
    r"property phase: (\d+) examples \(near (\d+), schema (\d+), hostile (\d+)\) in [\d.]+ s"
)
# The console with a plain progress line for every update the engine sends (the default is one per 5 s).
DRIVER = """
import importlib
import sys

from scorecheck.reporters.console import ConsoleReporter

cli = importlib.import_module("scorecheck.cli.main")  # `scorecheck.cli.main` is also the console script


class EveryUpdate(ConsoleReporter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, progress_interval_s=0.0, **kwargs)


cli.ConsoleReporter = EveryUpdate
sys.exit(cli.run_cli(sys.argv[1:]))
"""


def _cases(tmp_path: Path, text: str = VALIDATING_CASES) -> None:
    write(tmp_path / "cases" / "cases.yaml", text)


def _on_a_terminal(args: Sequence[str], cwd: Path) -> Tuple[int, str]:
    """Run the CLI with its stdout on a pseudo-terminal; everything it wrote there, and its exit code."""
    master, slave = os.openpty()
    with open(cwd / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen(
            [str(SCORECHECK), *args],
            cwd=cwd,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=stderr,
            start_new_session=True,
        )
    os.close(slave)  # the child holds the only copy: reading ends with EIO once it exits
    try:
        output = _read_until_closed(master, time.monotonic() + CLI_TIMEOUT)
        code = process.wait(timeout=CLI_TIMEOUT)
    finally:
        os.close(master)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return code, output.decode("utf-8", errors="replace")


def _read_until_closed(fd: int, deadline: float) -> bytes:
    chunks: List[bytes] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    else:
        raise AssertionError(f"the CLI still wrote to its terminal after {CLI_TIMEOUT} s")
    return b"".join(chunks)


def _driven(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI through DRIVER, stdout a pipe."""
    driver = write(cwd / "driver.py", DRIVER)
    return scorecheck(args, cwd=cwd, command=(sys.executable, str(driver)))


# -- progress ---------------------------------------------------------------------------------------------------


def test_on_a_terminal_the_progress_line_rewrites_itself_and_is_erased_before_the_summary(
    tmp_path: Path,
) -> None:
    _cases(tmp_path)
    code, output = _on_a_terminal(["run", str(VALIDATING), "cases", *BUDGET], tmp_path)
    assert code == 0, output + (tmp_path / "stderr.txt").read_text()
    drawn = list(LIVE.finditer(output))
    assert drawn, repr(output)
    summary = SUMMARY.search(output)
    assert summary is not None, repr(output)
    last = drawn[-1]
    # The last drawing is blanked out with spaces, the cursor back at the line's start, then the summary.
    between = output[last.end() : summary.start()]
    assert re.fullmatch(r" *\r +\r", between), repr(output[last.start() : summary.end()])
    assert " ".join(summary.groups()[1:]) != "0 0 0"
    assert not LIVE.search(output, summary.end())  # nothing is drawn after the phase


def test_in_a_log_plain_progress_lines_without_control_characters(tmp_path: Path) -> None:
    _cases(tmp_path)
    result = _driven(["run", str(VALIDATING), "cases", *BUDGET], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = PLAIN.findall(result.stdout)
    assert lines, result.stdout
    summary = SUMMARY.search(result.stdout)
    assert summary is not None, result.stdout
    assert result.stdout.index(lines[-1]) < summary.start()
    assert "\r" not in result.stdout
    assert "\x1b" not in result.stdout


def test_quiet_and_json_output_get_no_progress(tmp_path: Path) -> None:
    _cases(tmp_path)
    quiet = _driven(["run", str(VALIDATING), "cases", "-q", *BUDGET], tmp_path)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "property phase" not in quiet.stdout
    assert "PASSED" in quiet.stdout  # the closing line still comes
    as_json = _driven(["run", str(VALIDATING), "cases", "--format", "json", *BUDGET], tmp_path)
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    phase = json.loads(as_json.stdout)["property_phase"]  # the whole stdout is the one JSON document
    assert list(phase["examples"]) == ["near", "schema", "hostile"]
    assert phase["total_examples"] == sum(phase["examples"].values()) > 0


# -- output_schema not checked ----------------------------------------------------------------------------------


def test_output_schema_is_not_checked_when_every_example_is_refused(tmp_path: Path) -> None:
    # One fixture answered 200 gives the output schema; every later request is refused with 400.
    _cases(tmp_path, 'request: {json: {"data": [1.0, 2.0]}}\nexpect: {json: {"total": 3.0}}\n')
    args = ["run", str(SCRIPTS / "prop_refuses_later.py"), "cases", "-v", *BUDGET]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = check_report(tmp_path / "TEST-scorecheck.xml")
    case = report.case("output_schema", "scorecheck.property.score")
    reason = "not checked: no near or schema example was answered with a 2xx, so no output was seen"
    assert case.result == "skipped", case
    assert (case.message or "").startswith(reason), case.message
    assert re.search(rf"^SKIPPED output_schema .*  {re.escape(reason)}", result.stdout, re.MULTILINE), (
        result.stdout
    )
    assert (
        int(report.properties["scorecheck.property"]["examples_near"]) > 0
    )  # examples were sent, and refused


# -- --input-schema ---------------------------------------------------------------------------------------------

OPS_CASES = """
    cases:
      - request: {json: {"data": [1.0, 2.0], "op": "sum"}}
        expect: {json: {"result": 3.0}}
      - request: {json: {"data": [1.0, 2.0, 6.0], "op": "mean"}}
        expect: {json: {"result": 3.0}}
    """
OPS_SCHEMA = {
    "type": "object",
    "required": ["data", "op"],
    "additionalProperties": False,
    "properties": {
        "data": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "number", "minimum": -1000, "maximum": 1000},
        },
        "op": {"enum": ["sum", "mean", "max"]},
    },
}
OPS_SCRIPT = SCRIPTS / "prop_schema_only_bug.py"


def _property_failures(report: Report) -> List[Tuple[str, str, str]]:
    return [
        (case.name, case.result, case.type or "")
        for case in report.cases
        if case.suite == "scorecheck.property" and case.result in ("failure", "error")
    ]


def test_input_schema_opens_the_schema_tier_and_finds_a_bug_the_fixtures_cannot_reach(tmp_path: Path) -> None:
    _cases(tmp_path, OPS_CASES)
    (tmp_path / "request.schema.json").write_text(json.dumps(OPS_SCHEMA), encoding="utf-8")
    without = scorecheck(["run", str(OPS_SCRIPT), "cases", "--save-failures", "", *BUDGET], cwd=tmp_path)
    assert without.returncode == 0, (
        without.stdout + without.stderr
    )  # mutations of "sum" and "mean" miss "max"
    assert (
        check_report(tmp_path / "TEST-scorecheck.xml").properties["scorecheck.property"]["examples_schema"]
        == "0"
    )

    args = ["run", str(OPS_SCRIPT), "cases", "--input-schema", "request.schema.json", *BUDGET]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = check_report(tmp_path / "TEST-scorecheck.xml")
    assert _property_failures(report) == [("not_a_server_error", "failure", "ServerError")], result.stdout
    case = report.case("not_a_server_error", "scorecheck.property.score")
    assert case.text is not None
    assert re.search(r"^tier:      schema ", case.text, re.MULTILINE), case.text
    assert "AttributeError: 'list' object has no attribute 'maximum'" in case.text
    assert int(report.properties["scorecheck.property"]["examples_schema"]) > 0
    saved = sorted((tmp_path / ".scorecheck" / "failures").rglob("*.json"))
    assert len(saved) == 1, saved
    document = json.loads(saved[0].read_text(encoding="utf-8"))
    assert document["request"]["json"]["op"] == "max"
    assert document["tags"][-1] == "tier-schema"


@pytest.mark.parametrize(
    ("content", "says"),
    [("{not json", "is not JSON"), ('{"type": 5}', "is not a valid JSON Schema"), ("[1]", "must hold")],
    ids=["not-json", "invalid-schema", "not-an-object"],
)
def test_a_malformed_input_schema_is_a_usage_error_naming_the_file(
    tmp_path: Path, content: str, says: str
) -> None:
    _cases(tmp_path, OPS_CASES)
    (tmp_path / "broken.schema.json").write_text(content, encoding="utf-8")
    args = ["run", str(OPS_SCRIPT), "cases", "--input-schema", "broken.schema.json"]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(r"--input-schema: .*broken\.schema\.json", result.stderr), result.stderr
    assert says in result.stderr, result.stderr
    assert "server ready" not in result.stdout  # nothing was started
