"""`scorecheck merge-junit` on reports written by the JUnit reporter: the merged report keeps the profile."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from scorecheck.cli.main import run_cli
from scorecheck.model import CaseFinished, Event, RunFinished, RunStarted, ServerStarted
from scorecheck.reporters.junit import JUnitReporter
from scorecheck.reporters.merge import MergeError, merge, write_report
from tests.scorecheck.junit_checks import Report, check_report

CHECKS = ("server_survives", "valid_json", "output_schema", "latency", "not_a_server_error")


def started(shard: str, planned: List[str], seed: int) -> RunStarted:
    return RunStarted(
        "score.py", "http://127.0.0.1:5001", "azmlinfsrv/1.5.1", seed, tuple(planned), (("shard", shard),)
    )


def prop(name: str, outcome: str, message: str = "", kind: str = "") -> CaseFinished:
    details = f"{message}\nrequest: POST /score ...\nseed: 1" if message else ""
    return CaseFinished("property", "score", name, outcome, 0.5, message, kind, details)  # type: ignore[arg-type]


def fixture(name: str, outcome: str = "passed") -> CaseFinished:
    message = "expected status 200, got 500" if outcome == "failed" else ""
    kind = "StatusMismatch" if message else ""
    return CaseFinished("replay", "fixtures", name, outcome, 0.01, message, kind, message)  # type: ignore[arg-type]


def report(path: Path, events: List[Event]) -> Path:
    reporter = JUnitReporter(path, {})
    for event in [*events, RunFinished(2.0, 1)]:
        reporter.handle(event)
    reporter.close()
    return path


def shard_one(tmp_path: Path) -> Path:
    return report(
        tmp_path / "shard-1.xml",
        [
            started("1/2", ["a.yaml", "b.yaml"], 11),
            ServerStarted(0.5, "boot log of shard 1"),
            fixture("a.yaml"),
            fixture("b.yaml", "failed"),
            prop("server_survives", "passed"),
            prop("valid_json", "failed", "bare NaN in the body", "InvalidJson"),
            prop("output_schema", "error", "the re-check timed out", "HarnessError"),
            prop("latency", "skipped", "no latency budget"),
            prop("not_a_server_error", "skipped", "not run: budget spent"),
        ],
    )


def shard_two(tmp_path: Path) -> Path:
    return report(
        tmp_path / "shard-2.xml",
        [
            started("2/2", ["c.yaml"], 22),
            ServerStarted(0.6, "boot log of shard 2"),
            fixture("c.yaml"),
            prop("server_survives", "passed"),
            prop("valid_json", "error", "status 500 with an HTML body", "ServerError"),
            prop("output_schema", "failed", "missing key shares", "SchemaViolation"),
            prop("latency", "skipped", "no latency budget"),
            prop("not_a_server_error", "passed"),
        ],
    )


@pytest.fixture
def merged(tmp_path: Path) -> Report:
    out = tmp_path / "all.xml"
    write_report(merge([shard_one(tmp_path), shard_two(tmp_path)]), out)
    return check_report(out)  # the XSD, counts, unique names, three-decimal times, junitparser


def test_suites_merge_by_name_and_fixture_cases_are_all_there(merged: Report) -> None:
    assert [suite.get("name") for suite in merged.root] == ["scorecheck.replay", "scorecheck.property"]
    replay = [c.name for c in merged.cases if c.suite == "scorecheck.replay"]
    assert replay == ["startup", "a.yaml", "b.yaml", "c.yaml"]
    assert merged.case("b.yaml").result == "failure"
    assert merged.root.get("tests") == str(len(merged.cases)) == "9"


def test_a_check_run_in_every_shard_takes_its_worst_result(merged: Report) -> None:
    outcomes = {c.name: c.result for c in merged.cases if c.suite == "scorecheck.property"}
    assert outcomes == {
        "server_survives": None,
        "valid_json": "error",  # failed in one shard, error in the other
        "output_schema": "error",
        "latency": "skipped",  # skipped everywhere
        "not_a_server_error": None,  # skipped in one shard, passed in the other
    }


def test_every_shard_keeps_its_message_and_details(merged: Report) -> None:
    case = merged.case("valid_json")
    assert case.type == "ServerError"
    assert case.message == "status 500 with an HTML body"
    text = case.text or ""
    assert text.startswith("status 500 with an HTML body")
    assert "--- shard 1/2 (shard-1.xml) ---\nfailure InvalidJson: bare NaN in the body" in text
    assert "--- shard 2/2 (shard-2.xml) ---\nerror ServerError: status 500 with an HTML body" in text
    passed_somewhere = merged.case("server_survives")
    assert passed_somewhere.result is None


def test_outputs_of_a_shared_case_are_kept_per_shard(merged: Report) -> None:
    out = merged.case("startup").system_out or ""
    assert "--- shard 1/2 (shard-1.xml) ---\nboot log of shard 1" in out
    assert "--- shard 2/2 (shard-2.xml) ---\nboot log of shard 2" in out


def test_properties_keep_each_shards_value_and_times_add_up(merged: Report, tmp_path: Path) -> None:
    properties = merged.properties["scorecheck.property"]
    assert properties["shard"] == "1/2, 2/2"
    assert properties["seed"] == "11, 22"
    assert properties["scorecheck_version"]
    assert merged.case("valid_json").time == "1.000"
    suite = next(s for s in merged.root if s.get("name") == "scorecheck.property")
    assert float(suite.get("time", "0")) >= sum(
        float(c.time) for c in merged.cases if c.suite == suite.get("name")
    )


def test_one_report_merges_into_itself(tmp_path: Path) -> None:
    out = tmp_path / "same.xml"
    write_report(merge([shard_one(tmp_path)]), out)
    merged, original = check_report(out), check_report(tmp_path / "shard-1.xml")
    assert [(c.classname, c.name, c.result, c.message, c.text) for c in merged.cases] == [
        (c.classname, c.name, c.result, c.message, c.text) for c in original.cases
    ]


# ---------------------------------------------------------------------------------------------------------------
# Bad inputs, through the command line


def _merge_cli(tmp_path: Path, *reports: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = run_cli(["merge-junit", *map(str, reports), "-o", str(tmp_path / "out.xml")])
    assert code == 2
    assert not (tmp_path / "out.xml").exists()
    return capsys.readouterr().err


def test_a_missing_report_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _merge_cli(tmp_path, shard_one(tmp_path), tmp_path / "nope.xml", capsys=capsys)
    assert f"merge-junit: error: {tmp_path / 'nope.xml'}: cannot read: No such file or directory" in err


def test_a_file_that_is_not_xml_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuites name='scorecheck'>")  # cut short, as a killed job leaves it
    err = _merge_cli(tmp_path, broken, capsys=capsys)
    assert f"{broken}: not an XML file" in err


def test_another_tools_report_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "pytest.xml"
    other.write_text('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="0"/></testsuites>')
    err = _merge_cli(tmp_path, shard_one(tmp_path), other, capsys=capsys)
    assert f"{other}: not a scorecheck report" in err


def test_the_command_line_merges_and_says_what_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "all.xml"
    code = run_cli(["merge-junit", str(shard_one(tmp_path)), str(shard_two(tmp_path)), "-o", str(out)])
    assert code == 0
    assert f"merged 2 report(s) into {out}: 9 tests, 1 failure, 2 errors" in capsys.readouterr().out
    check_report(out)


def test_merge_error_is_raised_for_the_first_bad_file(tmp_path: Path) -> None:
    (tmp_path / "empty.xml").write_text("")
    with pytest.raises(MergeError, match=r"empty\.xml: not an XML file"):
        merge(
            [tmp_path / "empty.xml"],
        )
