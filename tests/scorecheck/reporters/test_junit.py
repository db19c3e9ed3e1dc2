from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import List, Optional, Sequence

import pytest

from scorecheck import __version__
from scorecheck.model import (
    CaseFinished,
    Event,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)
from scorecheck.reporters.junit import JUnitReporter, cap_output, escape_attr, escape_text, one_line
from tests.scorecheck.junit_checks import Report, check_report

PLANNED = ("ok.json", "bad.json", "cases.yaml[0]")


def started(planned: Sequence[str] = PLANNED, seed: Optional[int] = 42) -> RunStarted:
    return RunStarted(
        "score.py", "http://127.0.0.1:5001", "azmlinfsrv/1.5.1", seed, tuple(planned), (("mode", "replay"),)
    )


def passed(name: str, suite: str = "replay", group: str = "fixtures", elapsed: float = 0.012) -> CaseFinished:
    return CaseFinished(suite, group, name, "passed", elapsed)


def failed(name: str, message: str = "expected status 200, got 500", details: str = "") -> CaseFinished:
    return CaseFinished("replay", "fixtures", name, "failed", 0.028, message, "StatusMismatch", details)


def write(tmp_path: Path, events: List[Event], finish: bool = True, **properties: str) -> Report:
    path = tmp_path / "TEST-scorecheck.xml"
    reporter = JUnitReporter(path, properties)
    for event in events:
        reporter.handle(event)
    if finish:
        reporter.handle(RunFinished(3.2, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated junit_xml API may be used
        reporter.close()
    return check_report(path)


def full_run() -> List[Event]:
    return [
        started(),
        ServerStarted(0.812, "boot log"),
        passed("ok.json"),
        failed("bad.json", details="expected status 200, got 500\nreproduce: curl ..."),
        passed("cases.yaml[0]"),
        passed("not_a_server_error", suite="property", group="score", elapsed=2.35),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Shape


def test_full_run_matches_profile(tmp_path: Path) -> None:
    report = write(tmp_path, full_run(), python="3.11")
    root = report.root
    assert root.attrib == {
        "name": "scorecheck",
        "tests": "5",
        "failures": "1",
        "errors": "0",
        "time": "3.200",
    }
    assert [s.get("name") for s in root] == ["scorecheck.replay", "scorecheck.property"]
    startup = report.case("startup", "scorecheck.server")
    assert (startup.suite, startup.time, startup.system_out) == ("scorecheck.replay", "0.812", "boot log")
    bad = report.case("bad.json")
    assert (bad.classname, bad.result, bad.type) == (
        "scorecheck.replay.fixtures",
        "failure",
        "StatusMismatch",
    )
    assert bad.message == "expected status 200, got 500"
    assert bad.text == "expected status 200, got 500\nreproduce: curl ..."
    assert report.case("not_a_server_error").classname == "scorecheck.property.score"
    props = report.properties["scorecheck.property"]
    assert props == {
        "seed": "42",
        "entry_script": "score.py",
        "server": "azmlinfsrv/1.5.1",
        "scorecheck_version": __version__,
        "python": "3.11",
        "mode": "replay",
    }
    assert list(props)[:4] == ["seed", "entry_script", "server", "scorecheck_version"]


def test_suite_time_covers_its_cases(tmp_path: Path) -> None:
    report = write(tmp_path, full_run())
    replay = report.root.find("testsuite")
    assert replay is not None
    assert float(replay.get("time", "0")) >= 0.812 + 0.012 + 0.028 + 0.012 - 0.0005


def test_seed_none_and_missing_run_started(tmp_path: Path) -> None:
    report = write(tmp_path, [started(seed=None), ServerStarted(0.1, "")])
    assert report.properties["scorecheck.replay"]["seed"] == "none"
    empty = write(tmp_path, [], entry_script="x.py")
    assert empty.properties["scorecheck.replay"]["entry_script"] == "x.py"


def test_times_are_three_decimals_everywhere(tmp_path: Path) -> None:
    events: List[Event] = [
        started(("a", "b", "c", "d")),
        ServerStarted(1e-05, ""),
        passed("a", elapsed=0.0),
        passed("b", elapsed=0.1 + 0.2),
        passed("c", elapsed=-1.0),
        passed("d", elapsed=12345.6789),
    ]
    report = write(tmp_path, events)
    times = {c.name: c.time for c in report.cases}
    assert times == {"startup": "0.000", "a": "0.000", "b": "0.300", "c": "0.000", "d": "12345.679"}


def test_hostname_and_timestamp_present(tmp_path: Path) -> None:
    report = write(tmp_path, full_run())
    for suite in report.root:
        assert suite.get("hostname")
        assert len(suite.get("timestamp", "")) == 19


def test_only_the_reporter_imports_junit_xml() -> None:
    package = Path(__file__).resolve().parents[3] / "scorecheck"
    importing = re.compile(r"^\s*(import|from)\s+junit_xml\b", re.MULTILINE)
    users = [
        p.relative_to(package).as_posix() for p in package.rglob("*.py") if importing.search(p.read_text())
    ]
    assert users == ["reporters/junit.py"]


# ---------------------------------------------------------------------------------------------------------------
# Escaping (profile §6, §10)


def test_forbidden_characters_survive_as_visible_escapes(tmp_path: Path) -> None:
    payload = 'payload: {"data": "\x00\ud800"} \x1b[31mred\x1b[0m'
    events: List[Event] = [
        started(("bad\x00.json",)),
        ServerStarted(0.1, "log\x00line \x1b[31mERROR\x1b[0m"),
        CaseFinished(
            "replay",
            "fixtures",
            "bad\x00.json",
            "failed",
            0.1,
            "got \x00\ud800\x1b",
            "BodyMismatch",
            payload,
            log="req \x1b[2m\ud800",
        ),
    ]
    report = write(tmp_path, events)
    bad = report.case("bad\\x00.json")
    assert bad.message == "got \\x00\\ud800\\x1b"
    assert bad.text is not None
    assert 'payload: {"data": "\\x00\\ud800"} \\x1b[31mred\\x1b[0m' in bad.text
    assert bad.system_out == "req \\x1b[2m\\ud800"
    assert report.case("startup").system_out == "log\\x00line \\x1b[31mERROR\\x1b[0m"


def test_characters_junit_xml_would_strip_are_escaped_not_dropped(tmp_path: Path) -> None:
    text = "a\x7fb\x85c\x9fd\ufdd0e\ufffef\U0001fffeg\U0010ffffh"
    report = write(tmp_path, [started(("x",)), ServerStarted(0.1, text), passed("x")])
    assert report.case("startup").system_out == (
        "a\\x7fb\\x85c\\x9fd\\ufdd0e\\ufffef\\U0001fffeg\\U0010ffffh"
    )


def test_carriage_returns(tmp_path: Path) -> None:
    report = write(tmp_path, [started(("x",)), ServerStarted(0.1, "one\r\ntwo\rthree"), passed("x")])
    assert report.case("startup").system_out == "one\ntwo\\rthree"


def test_markup_characters_are_left_to_the_writer(tmp_path: Path) -> None:
    events: List[Event] = [started(("<a&b>",)), ServerStarted(0.1, ""), failed("<a&b>", 'x < y & "z"')]
    report = write(tmp_path, events)
    assert report.case("<a&b>").message == 'x < y & "z"'


def test_escape_helpers() -> None:
    assert escape_text("ok\ttab\nline") == "ok\ttab\nline"
    assert escape_text("\x00\x08\x0b\x1f") == "\\x00\\x08\\x0b\\x1f"
    assert escape_text("é€😀") == "é€😀"
    assert escape_attr("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert one_line("first\n  second\x1c") == "first second\\x1c"
    long = one_line("x" * 500)
    assert len(long) == 200
    assert long.endswith("…")


def test_names_with_line_breaks_stay_visible(tmp_path: Path) -> None:
    report = write(tmp_path, [started(("a\nb",)), ServerStarted(0.1, ""), passed("a\nb")])
    assert report.case("a\\nb").result is None


# ---------------------------------------------------------------------------------------------------------------
# Results


def test_message_is_one_line_and_capped(tmp_path: Path) -> None:
    message = "line one\nline two " + "y" * 400
    report = write(tmp_path, [started(("x",)), ServerStarted(0.1, ""), failed("x", message, "details")])
    case = report.case("x")
    assert case.message is not None
    assert "\n" not in case.message
    assert len(case.message) <= 200
    assert case.text is not None
    assert case.text.startswith("line one line two yyy")
    assert case.text.endswith("\ndetails")


def test_failure_without_message_never_passes(tmp_path: Path) -> None:
    events: List[Event] = [
        started(("a", "b", "c")),
        ServerStarted(0.1, ""),
        CaseFinished("replay", "fixtures", "a", "failed", 0.1),
        CaseFinished("replay", "fixtures", "b", "error", 0.1),
        CaseFinished("replay", "fixtures", "c", "failed", 0.1, details="diff line\nmore"),
    ]
    report = write(tmp_path, events)
    a, b, c = report.case("a"), report.case("b"), report.case("c")
    assert (a.result, a.type, a.message) == ("failure", "Failure", "failed")
    assert (b.result, b.type, b.message) == ("error", "HarnessError", "error")
    assert (c.message, c.text) == ("diff line", "diff line\nmore")


def test_skipped_and_error_outcomes(tmp_path: Path) -> None:
    events: List[Event] = [
        started(("s", "e")),
        ServerStarted(0.1, ""),
        CaseFinished("replay", "fixtures", "s", "skipped", 0.0, "flaky upstream"),
        CaseFinished("replay", "fixtures", "e", "error", 5.0, "timed out after 5 s", "Timeout", "timed out"),
    ]
    report = write(tmp_path, events)
    assert (report.case("s").result, report.case("s").message) == ("skipped", "flaky upstream")
    e = report.case("e")
    assert (e.result, e.type, e.text) == ("error", "Timeout", "timed out after 5 s\ntimed out")
    suite = report.root.find("testsuite")
    assert suite is not None
    assert (suite.get("skipped"), suite.get("errors")) == ("1", "1")


def test_unknown_outcome_becomes_harness_error(tmp_path: Path) -> None:
    events: List[Event] = [
        started(("x",)),
        ServerStarted(0.1, ""),
        CaseFinished("replay", "f", "x", "weird", 0.1),
    ]
    case = write(tmp_path, events).case("x")
    assert (case.result, case.type) == ("error", "HarnessError")
    assert case.message is not None
    assert "weird" in case.message


def test_duplicate_names_get_suffixes(tmp_path: Path) -> None:
    events: List[Event] = [
        started(("a",)),
        ServerStarted(0.1, ""),
        passed("a"),
        passed("a"),
        passed("a (2)"),
        passed("a"),
        passed("a", suite="property", group="score"),
    ]
    report = write(tmp_path, events)
    names = [c.name for c in report.cases if c.classname == "scorecheck.replay.fixtures"]
    assert names == ["a", "a (2)", "a (2) (2)", "a (3)"]
    assert report.case("a", "scorecheck.property.score").result is None


def test_empty_group_still_differs_from_suite(tmp_path: Path) -> None:
    report = write(tmp_path, [started(()), ServerStarted(0.1, ""), passed("p", suite="property", group="")])
    assert report.case("p").classname == "scorecheck.property.cases"


def test_system_out_is_capped_with_head_and_tail(tmp_path: Path) -> None:
    log = "HEAD" + "x" * 200_000 + "TAIL"
    report = write(tmp_path, [started(("x",)), ServerStarted(0.1, log), passed("x")])
    out = report.case("startup").system_out
    assert out is not None
    assert out.startswith("HEAD")
    assert out.endswith("TAIL")
    assert len(out.encode()) <= 64 * 1024
    assert "bytes truncated] …" in out


def test_cap_output_counts_bytes_and_keeps_characters_whole() -> None:
    text = "é" * 40_000  # 80,000 bytes
    capped = cap_output(text, limit=1000)
    head, marker, tail = capped.split("\n")
    assert set(head) == {"é"}
    assert set(tail) == {"é"}
    cut = int(marker.split("[")[1].split()[0])
    assert cut + len(head.encode()) + len(tail.encode()) == 80_000
    assert cap_output("short") == "short"


# ---------------------------------------------------------------------------------------------------------------
# Server trouble and interruptions


def test_server_failed_skips_every_planned_case(tmp_path: Path) -> None:
    events: List[Event] = [
        started(),
        ServerFailed(1.5, "Traceback ...\nOSError: port in use", "no ready line", 3),
    ]
    report = write(tmp_path, events)
    startup = report.case("startup")
    assert (startup.result, startup.type) == ("error", "ServerStartupError")
    assert startup.message == "no ready line (exit code 3)"
    assert startup.text is not None
    assert "OSError: port in use" in startup.text
    skipped = [c for c in report.cases if c.classname == "scorecheck.replay.fixtures"]
    assert [c.name for c in skipped] == list(PLANNED)
    assert {(c.result, c.message) for c in skipped} == {("skipped", "not run: server failed to start")}


def test_init_failure_is_an_init_error(tmp_path: Path) -> None:
    log = "Invoking user's init function\nUser's init function failed\nEncountered Exception Traceback..."
    report = write(tmp_path, [started(), ServerFailed(0.5, log, "server exited during start-up", 3)])
    assert report.case("startup").type == "InitError"


def test_server_died_turns_remaining_cases_into_errors(tmp_path: Path) -> None:
    events: List[Event] = [
        started(),
        ServerStarted(0.5, "boot"),
        passed("ok.json"),
        ServerDied("connection refused", "Segmentation fault", -11),
    ]
    report = write(tmp_path, events)
    assert report.case("ok.json").result is None
    for name in ("bad.json", "cases.yaml[0]"):
        case = report.case(name)
        assert (case.result, case.type) == ("error", "ServerError")
        assert case.message == "not run: server died (exit code -11): connection refused"
    startup = report.case("startup")
    assert startup.result is None
    assert startup.system_out is not None
    assert "Segmentation fault" in startup.system_out


def test_server_died_without_startup_event(tmp_path: Path) -> None:
    report = write(tmp_path, [started(("a",)), ServerDied("gone", "log", None)])
    assert report.case("startup").type == "ServerError"
    assert report.case("a").type == "ServerError"


def test_close_without_run_finished_reports_harness_error(tmp_path: Path) -> None:
    path = tmp_path / "TEST-scorecheck.xml"
    reporter = JUnitReporter(path, {})
    for event in [started(), ServerStarted(0.5, "boot"), passed("ok.json")]:
        reporter.handle(event)
    reporter.close(reason="KeyboardInterrupt")
    report = check_report(path)
    harness = report.case("run", "scorecheck.harness")
    assert (harness.result, harness.type) == ("error", "HarnessError")
    assert harness.text is not None
    assert "KeyboardInterrupt" in harness.text
    assert report.case("bad.json").message == "not run: run interrupted"
    assert report.case("ok.json").result is None


def test_close_without_any_event_is_still_a_valid_report(tmp_path: Path) -> None:
    report = write(tmp_path, [], finish=False)
    assert [(c.classname, c.name, c.type) for c in report.cases] == [
        ("scorecheck.harness", "run", "HarnessError")
    ]


def test_planned_case_without_result_after_finish_is_an_error(tmp_path: Path) -> None:
    report = write(tmp_path, [started(("a", "b")), ServerStarted(0.1, ""), passed("a")])
    assert (report.case("b").result, report.case("b").type) == ("error", "HarnessError")


# ---------------------------------------------------------------------------------------------------------------
# Writing


def test_written_atomically_and_replaces_old_report(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "TEST-scorecheck.xml"
    path.parent.mkdir()
    path.write_text("old")
    reporter = JUnitReporter(path, {})
    reporter.handle(started(()))
    reporter.handle(RunFinished(0.1, 0))
    reporter.close()
    reporter.close()  # a second close (e.g. from a finally block) changes nothing
    reporter.handle(passed("late"))
    assert os.listdir(path.parent) == ["TEST-scorecheck.xml"]
    assert "late" not in path.read_text(encoding="utf-8")
    check_report(path)


def test_failed_write_leaves_old_report_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "TEST-scorecheck.xml"
    path.write_text("old")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    reporter = JUnitReporter(path, {})
    with pytest.raises(OSError, match="disk full"):
        reporter.close()
    assert os.listdir(tmp_path) == ["TEST-scorecheck.xml"]
    assert path.read_text() == "old"


def test_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "junit-reports" / "TEST-scorecheck.xml"
    reporter = JUnitReporter(path, {})
    reporter.handle(RunFinished(0.0, 0))
    reporter.close()
    check_report(path)
