"""The property phase end to end: the real CLI against real servers, five buggy scripts and four correct ones.

Each buggy script has exactly one bug; the phase must find it, report the shrunk payload in the JUnit text
and save a fixture that fails on its own when replayed. The correct scripts must pass 500 examples each
without one false alarm. Every report is validated against the JUnit profile.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from tests.scorecheck.junit_checks import Report, ReportCase, check_report
from tests.scorecheck.sc_support import SCRIPTS, scorecheck, write

# Starts many servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

FIXTURES: Dict[str, Dict[str, str]] = {
    "prop_empty_list": {
        "mean.yaml": 'request: {json: {"data": [1.0, 2.0, 3.0]}}\nexpect: {json: {"mean": 2.0}}\n',
    },
    "prop_nan": {
        "shares.yaml": 'request: {json: {"data": [1.0, 3.0]}}\nexpect: {json: {"shares": [0.25, 0.75]}}\n',
    },
    "prop_kills_worker": {
        "total.yaml": 'request: {json: {"data": [1.5, 2.5]}}\nexpect: {json: {"total": 4.0}}\n',
    },
    "prop_slow_batches": {
        "total.yaml": 'request: {json: {"data": [1, 2, 3]}}\nexpect: {json: {"total": 6.0}, max_latency_ms: 1500}\n',
    },
    "prop_bad_output": {
        "label.yaml": 'request: {json: {"data": [1.0, 2.0]}}\nexpect: {json: {"label": "positive", "score": 3.0}}\n',
    },
    "prop_ok_validating": {
        "cases.yaml": """
            cases:
              - request: {json: {"data": [1, 2.5]}}
                expect: {json: {"total": 3.5, "count": 2}}
              - request: {json: {"data": [1, 2], "weights": [0.5, 2]}}
                expect: {json: {"total": 4.5, "count": 2}}
              - request: {json: {"data": "x"}}
                expect: {status: 400}
            """,
    },
    "prop_ok_schema": {
        "sums.yaml": """
            request: {json: {"data": [[1, 2, 3], [4, 5, 6]], "scale": 2}}
            expect: {json: {"sums": [12.0, 30.0], "rows": 2}}
            """,
    },
    "prop_ok_raw": {
        "bytes.yaml": """
            request:
              headers: {Content-Type: application/octet-stream}
              body_base64: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
            expect: {json_subset: {"bytes": 45}}
            """,
    },
    "prop_ok_floats": {
        "softmax.yaml": 'request: {json: {"logits": [0.0, 0.0]}}\nexpect: {json: {"probabilities": [0.5, 0.5], "top": 0}}\n',
    },
}
PROPERTY_SUITE = "scorecheck.property"
CLASSNAME = "scorecheck.property.score"
DIGEST = re.compile(r"seed (\d+); examples: ([^;]*) in [\d.]+ s; digest ([0-9a-f]+)")


def _run(script: str, tmp_path: Path, *options: str) -> tuple[int, str, Report]:
    for name, text in FIXTURES[script].items():
        write(tmp_path / "cases" / name, text)
    result = scorecheck(["run", str(SCRIPTS / f"{script}.py"), "cases", *options], cwd=tmp_path)
    report = check_report(tmp_path / "TEST-scorecheck.xml")
    return result.returncode, result.stdout + result.stderr, report


def _property_cases(report: Report) -> List[ReportCase]:
    cases = [case for case in report.cases if case.suite == PROPERTY_SUITE]
    assert {case.classname for case in cases} == {CLASSNAME}
    return cases


def _summary(report: Report) -> re.Match[str]:
    out = report.case("server_survives", CLASSNAME).system_out or ""
    found = DIGEST.search(out)
    assert found is not None, out
    return found


def _payload(case: ReportCase) -> str:
    assert case.text is not None
    found = re.search(r"^minimal payload: (.*)$", case.text, re.MULTILINE)
    assert found is not None, case.text
    return found.group(1)


BUGGY = [
    pytest.param("prop_empty_list", "not_a_server_error", "ServerError", ['{"data": []}'], id="empty-list"),
    pytest.param("prop_nan", "valid_json", "NonFiniteJson", ['{"data": [0.0]}', '{"data": [0]}'], id="nan"),
    pytest.param(
        "prop_kills_worker",
        "server_survives",
        "WorkerDied",
        ['{"data": [-1.0]}', '{"data": [-1]}'],
        id="kills-worker",
    ),
    pytest.param("prop_slow_batches", "latency", "LatencyExceeded", None, id="slow-batches"),
    pytest.param("prop_bad_output", "output_schema", "SchemaViolation", ['{"data": []}'], id="bad-output"),
]


@pytest.mark.parametrize(("script", "check", "kind", "minimal"), BUGGY)
def test_a_buggy_script_is_caught_with_a_shrunk_payload_and_a_saved_fixture(
    tmp_path: Path, script: str, check: str, kind: str, minimal: Optional[Sequence[str]]
) -> None:
    # Every big batch costs the slow script half a second, so it gets fewer examples.
    examples = "30" if script == "prop_slow_batches" else "100"
    # The example count bounds the search; --max-time only keeps a loaded machine from cutting it short.
    code, output, report = _run(script, tmp_path, "--max-time", "600", "--max-examples", examples)
    assert code == (3 if kind == "WorkerDied" else 1), output  # a crashed worker is a crashed server
    failing = [case for case in _property_cases(report) if case.result in ("failure", "error")]
    assert [(case.name, case.result, case.type) for case in failing] == [(check, "failure", kind)], output
    case = failing[0]
    payload = _payload(case)
    if minimal is not None:
        assert payload in minimal, case.text
    else:  # the slow batches: just over the 20 values the script handles quickly
        assert len(json.loads(payload)["data"]) > 20, payload
    assert case.text is not None
    assert "re-check:  reproduced" in case.text
    assert re.search(r"^tier:      (near|schema) ", case.text, re.MULTILINE), case.text  # the tier label
    assert "reproduce: curl -sS -i -X POST http://127.0.0.1:" in case.text
    assert "seed:      42" in case.text
    assert report.properties[PROPERTY_SUITE]["seed"] == "42"
    assert re.search(rf"^FAILED\s+{check}\s", output, re.MULTILINE), output  # the console names it too
    saved = sorted((tmp_path / ".scorecheck" / "failures" / script).glob("*.json"))  # a folder per script
    assert [path.name.split("-")[0] for path in saved] == [check]
    document = json.loads(saved[0].read_text())
    assert document["request"]["json"] == json.loads(payload)
    assert document["tags"][-1] in ("tier-near", "tier-schema")
    _replays_as_a_failure(script, saved[0], tmp_path, code)


def _replays_as_a_failure(script: str, saved: Path, tmp_path: Path, code: int) -> None:
    """The saved fixture is a regression test on its own: replayed, it fails while the bug is there."""
    replay_report = tmp_path / "replay.xml"
    args = [
        "run",
        "--no-properties",
        "--junit-xml",
        str(replay_report),
        str(SCRIPTS / f"{script}.py"),
        str(saved),
    ]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == code, result.stdout + result.stderr  # the search's verdict, again
    replayed = [
        case for case in check_report(replay_report).cases if case.classname == "scorecheck.replay.fixtures"
    ]
    assert [case.result for case in replayed] in (["failure"], ["error"])


@pytest.mark.parametrize("script", ["prop_ok_validating", "prop_ok_schema", "prop_ok_raw", "prop_ok_floats"])
def test_a_correct_script_passes_500_examples_without_a_false_alarm(tmp_path: Path, script: str) -> None:
    # All 500 must run: --max-time is set far beyond what they take even on a loaded machine.
    code, output, report = _run(script, tmp_path, "--max-examples", "500", "--max-time", "900")
    assert code == 0, output
    outcomes = {case.name: case.result for case in _property_cases(report)}
    assert "failure" not in outcomes.values(), output
    assert "error" not in outcomes.values(), output
    # Nothing is skipped for want of inputs: only the latency check, which has no budget here.
    assert [name for name, result in outcomes.items() if result == "skipped"] == ["latency"]
    # Examples per tier: the near tier (fixtures with mutations) always runs; hostile gets a quarter (plus,
    # for an upload fixture, the sweep's cut-short uploads).
    counts = dict(reversed(part.split(" ")) for part in _summary(report).group(2).split(", "))
    assert int(counts["near"]) >= 1, counts
    assert 125 <= int(counts["hostile"]) <= 128, counts
    assert not (tmp_path / ".scorecheck").exists()


def test_the_same_seed_gives_the_same_examples_and_verdict(tmp_path: Path) -> None:
    runs = []
    for index, seed in enumerate(("7", "7", "8")):
        folder = tmp_path / f"run{index}"
        code, output, report = _run("prop_nan", folder, "--seed", seed, "--max-examples", "40")
        case = report.case("valid_json", CLASSNAME)
        summary = _summary(report)
        runs.append((code, summary.group(2), summary.group(3), case.result, _payload(case)))
        assert report.properties[PROPERTY_SUITE]["seed"] == seed
        assert f"seed {seed}" in output
    assert runs[0] == runs[1]
    assert runs[0][0] == 1
    assert runs[2][2] != runs[0][2]  # another seed searches other examples
