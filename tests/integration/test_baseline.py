"""The behaviour diff against the baseline end to end: the real CLI, the candidate and the released script as two
real servers (or the baseline as an endpoint a test started), reports read back from the JUnit file.

Each candidate is a copy of the released script (tests/scripts/baseline/released.py) with one edit, as a new
version of a script is; the fixtures pin none of those edits (status and shape only): only the comparison with
the baseline can find them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
import yaml

from scorecheck.serverproc.process import ServerProcess
from tests.scorecheck.junit_checks import Report, ReportCase
from tests.scorecheck.sc_support import (
    SCORECHECK,
    SCRIPTS,
    cli_env,
    end_all,
    kill_session,
    poll,
    processes_with,
    report_at,
    scorecheck,
)

# Starts two servers per run: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

HERE = SCRIPTS / "baseline"
RELEASED = HERE / "released.py"
SUITE = "scorecheck.baseline"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with the fixtures and no pyproject.toml: the accepted-changes file goes beside the fixtures."""
    shutil.copytree(HERE / "fixtures", tmp_path / "fixtures")
    return tmp_path


RENAMED_KEY = ('return {"result":', 'return {"prediction":')
ROUNDING = ("round(v * 1.5, 4)", "round(v * 1.5, 2)")
NEGATIVE_400 = (
    "    return {",
    '    if any(v < 0 for v in values):\n        return AMLResponse({"message": "values must not be negative"}, 400, json_str=True)\n    return {',
)


# Non-deterministic: a random draw and the moment of the answer in every answer.
RANDOM_DRAW = (
    ("import json\n", "import json\nimport random\nimport time\n"),
    (
        'return {"result": [round(v * 1.5, 4) for v in values]}',
        'return {"result": [round(v * 1.5, 4) for v in values], "sample": random.random(), "served_at": time.time()}',
    ),
)


def candidate(work: Path, *edits: Tuple[str, str], name: str = "score.py") -> Path:
    """The released script with each edit (old text, new text) made once."""
    text = RELEASED.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not in {RELEASED} once"
        text = text.replace(old, new)
    path = work / name
    path.write_text(text, encoding="utf-8")
    return path


def gate(
    work: Path, candidate: Path, *extra: str, env: Optional[Dict[str, str]] = None
) -> Tuple[int, str, Report]:
    """Exit code, stdout then stderr, and the JUnit report of one run against the fixtures in `work`."""
    args = ["run", str(candidate), "fixtures", "--no-properties", "--junit-xml", "report.xml", *extra]
    result = scorecheck(args, work, env)
    return result.returncode, result.stdout + "\n" + result.stderr, report_at(work / "report.xml")


def baseline_cases(report: Report) -> List[ReportCase]:
    return [case for case in report.cases if case.suite == SUITE]


def only_change(report: Report) -> ReportCase:
    failed = [case for case in baseline_cases(report) if case.result == "failure"]
    assert len(failed) == 1, [(c.name, c.message) for c in baseline_cases(report)]
    assert failed[0].type == "BehaviourChange"
    return failed[0]


def test_a_renamed_output_key_is_one_change_shown_side_by_side(work: Path) -> None:
    code, output, report = gate(work, candidate(work, RENAMED_KEY), "--baseline", str(RELEASED))
    assert code == 1, output
    assert all(case.result is None for case in report.cases if case.suite == "scorecheck.replay")
    change = only_change(report)
    assert change.name == "POST /score key_renamed $.result: renamed to $.prediction"
    text = change.text or ""
    # Seen on every request answered with a result, reported once with a count.
    assert "seen on 16 of 17 requests" in text, text
    assert "baseline value:   [1.8518, 3.75]" in text
    assert text.count("curl -sS -i -X POST http://127.0.0.1:") == 2
    side = next(line for line in text.splitlines() if '"result"' in line)
    # One row holds both answers, marked as different.
    assert '"prediction"' in side, side
    assert " | " in side, side
    assert 'kind: "key_renamed"' in text  # the entry to accept it


def test_a_rounding_change_is_found_beyond_the_tolerance(work: Path) -> None:
    code, output, report = gate(work, candidate(work, ROUNDING), "--baseline", str(RELEASED))
    assert code == 1, output
    change = only_change(report)
    assert change.name == "POST /score value_changed $.result[*]: the number changed beyond the tolerance"
    assert "baseline 1.8518, candidate 1.85" in (change.message or "")


def test_a_rounding_change_within_the_fixture_tolerance_is_no_change(work: Path) -> None:
    loose = (
        (work / "fixtures" / "values.yaml")
        .read_text()
        .replace("status: 200", "status: 200\n      tolerance: {abs: 0.01}")
    )
    (work / "fixtures" / "values.yaml").write_text(loose)
    # The near tier's requests take the loosest tolerance of the fixtures they are made from.
    code, output, report = gate(work, candidate(work, ROUNDING), "--baseline", str(RELEASED))
    assert code == 0, output
    assert [case.name for case in baseline_cases(report)] == ["no_behaviour_change"]


def test_a_new_status_for_inputs_no_fixture_sends_is_found(work: Path) -> None:
    code, output, report = gate(
        work, candidate(work, NEGATIVE_400), "--baseline", str(RELEASED), "--format", "json"
    )
    assert code == 1, output
    change = only_change(report)
    assert change.name == "POST /score status: 200 became 400"
    text = change.text or ""
    assert "near tier" in text, text
    assert "values must not be negative" in text, text
    request = next(line for line in text.splitlines() if line.startswith("candidate:  curl"))
    sent = json.loads(request.split("--data-binary ", 1)[1].strip("'"))
    assert any(value < 0 for value in sent["values"]), request
    document = json.loads(output[: output.index("\n}\n") + 2])  # stdout: one indented JSON document
    assert any(case["suite"] == "baseline" and case["outcome"] == "failed" for case in document["cases"])


def test_an_identical_copy_reports_no_change_and_leaves_no_server_behind(work: Path) -> None:
    copy = shutil.copy(RELEASED, work / "score.py")
    token = f"SC_BASELINE_TEST={uuid.uuid4()}"
    try:
        code, output, report = gate(
            work, Path(copy), "--baseline", str(RELEASED), env=dict([token.split("=")])
        )
        assert processes_with(token) == []  # both servers were stopped with their groups
    finally:
        end_all(token)
    assert code == 0, output
    (case,) = baseline_cases(report)
    assert case.name == "no_behaviour_change"
    assert case.result is None
    assert "17 requests answered alike by both servers" in (case.system_out or "")


def test_a_nondeterministic_script_is_no_false_alarm(work: Path) -> None:
    script = candidate(work, *RANDOM_DRAW)
    released = candidate(work, *RANDOM_DRAW, name="old_score.py")
    code, output, report = gate(work, script, "--baseline", str(released))
    assert code == 0, output
    warning = next(case for case in baseline_cases(report) if case.name == "nondeterministic_answers")
    said = warning.system_out or ""
    assert "fields that vary were ignored: $.sample (candidate), $.served_at (candidate)" in said, said


def test_new_varying_keys_are_still_changes_only_their_values_are_ignored(work: Path) -> None:
    code, output, report = gate(work, candidate(work, *RANDOM_DRAW), "--baseline", str(RELEASED))
    assert code == 1, output
    failed = sorted(case.name for case in baseline_cases(report) if case.result == "failure")
    assert failed == [
        "POST /score key_added $.sample: a new key",
        "POST /score key_added $.served_at: a new key",
    ]


def test_accept_changes_writes_the_file_and_the_next_run_passes(work: Path) -> None:
    script = candidate(work, RENAMED_KEY)
    code, output, report = gate(work, script, "--baseline", str(RELEASED), "--accept-changes")
    assert code == 0, output
    written = yaml.safe_load((work / "scorecheck-accepted-changes.yaml").read_text())
    (entry,) = written["accepted"]
    assert (entry["endpoint"], entry["kind"], entry["path"]) == ("POST /score", "key_renamed", "$.result")
    entry["note"] = "the v2 contract renames result"
    (work / "scorecheck-accepted-changes.yaml").write_text(yaml.safe_dump(written))

    code, output, report = gate(work, script, "--baseline", str(RELEASED))
    assert code == 0, output
    (case,) = baseline_cases(report)
    assert case.result is None
    assert (case.system_out or "").startswith("accepted in "), case.system_out
    # A second change is not covered by the first one's entry.
    code, output, report = gate(work, candidate(work, ROUNDING), "--baseline", str(RELEASED))
    assert code == 1, output


def test_a_baseline_that_fails_to_start_is_a_clear_error(work: Path) -> None:
    code, output, report = gate(work, RELEASED, "--baseline", str(HERE / "init_fails.py"))
    assert code == 1, output
    (case,) = baseline_cases(report)
    assert case.result == "error"
    assert case.type == "BaselineError"
    message = case.message or ""
    assert message.startswith("--baseline "), message
    assert "init() failed: RuntimeError" in message, message
    assert "the released model could not be loaded" in (case.text or "")


def test_a_missing_baseline_script_stops_before_anything_starts(work: Path) -> None:
    result = scorecheck(["run", str(RELEASED), "fixtures", "--baseline", "old_score.py"], work)
    assert result.returncode == 2
    assert "--baseline old_score.py: no such file" in result.stderr, result.stderr


def test_a_malformed_accepted_changes_file_is_named_before_anything_starts(work: Path) -> None:
    (work / "scorecheck-accepted-changes.yaml").write_text("accepted:\n  - {kind: status, path: status}\n")
    result = scorecheck(["run", str(RELEASED), "fixtures", "--baseline", str(RELEASED)], work)
    assert result.returncode == 2
    assert (
        "scorecheck-accepted-changes.yaml: accepted[0]: `endpoint` must be a non-empty string"
        in result.stderr
    )


def test_a_deployed_baseline_is_reached_with_baseline_target(work: Path) -> None:
    with ServerProcess(str(RELEASED)) as deployed:
        deployed.wait_ready(time.monotonic() + 60)
        code, output, report = gate(work, candidate(work, ROUNDING), "--baseline-target", deployed.base_url)
    assert code == 1, output
    change = only_change(report)
    assert f"--baseline-target {deployed.base_url}" in (change.text or "")
    assert f"baseline:   curl -sS -i -X POST {deployed.base_url}/score" in (change.text or "")


def test_the_phase_runs_after_the_property_phase(work: Path) -> None:
    args = [
        "run",
        str(candidate(work, ROUNDING)),
        "fixtures",
        "--baseline",
        str(RELEASED),
        "--format",
        "json",
    ]
    result = scorecheck([*args, "--max-examples", "5", "--max-time", "5", "--save-failures", ""], work)
    assert result.returncode == 1, result.stderr
    # the runtime checks (start-up first, memory after the search) frame the phases; the order is what matters
    suites = [case["suite"] for case in json.loads(result.stdout)["cases"] if case["suite"] != "runtime"]
    assert suites == sorted(suites, key=["replay", "property", "baseline"].index), suites
    assert suites.count("property") > 1


def _serving(script: Path) -> bool:
    """Whether a server process runs `script` (the gate's own command line names it too, without the flag)."""
    wanted = f"--entry_script\0{script}\0".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if wanted in cmdline.read_bytes():
                return True
    return False


def test_an_interrupt_during_the_comparison_stops_both_servers(work: Path) -> None:
    slow = ("def run(data):\n", "def run(data):\n    time.sleep(0.2)\n")
    imports = ("import json\n", "import json\nimport time\n")
    script = candidate(work, slow, imports)
    released = candidate(work, slow, imports, name="old_score.py")
    token = f"{uuid.uuid4()}"
    args = ["run", str(script), "fixtures", "--no-properties", "--baseline", str(released)]
    gate_process = subprocess.Popen(
        [str(SCORECHECK), *args, "--junit-xml", "report.xml"],
        cwd=work,
        env=cli_env({"SC_BASELINE_TEST": token}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        poll(lambda: _serving(released), 60.0, "the baseline server")
        gate_process.send_signal(signal.SIGINT)
        output, _ = gate_process.communicate(timeout=60)
        assert gate_process.returncode == 130, output
        assert processes_with(token) == []
    finally:
        if gate_process.poll() is None:
            kill_session(gate_process)
        end_all(token)
    assert report_at(work / "report.xml").case("interrupted").type == "Interrupted"
