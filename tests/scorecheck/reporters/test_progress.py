"""The property phase's progress and per-tier summary as the reporters show them: the live line on a terminal,
plain lines in a log (a fake clock decides when), nothing with -q, and the figures in JSON and JUnit."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import List

import pytest

from scorecheck.model import (
    CaseFinished,
    Measurement,
    PropertyProgress,
    PropertySummary,
    RunFinished,
    RunStarted,
)
from scorecheck.reporters.console import ConsoleReporter
from scorecheck.reporters.json_report import JsonReporter
from scorecheck.reporters.junit import JUnitReporter
from scorecheck.reporters.progress import (
    ProgressView,
    bar,
    figures,
    fraction_done,
    live_text,
    plain_text,
    summary_text,
)
from tests.scorecheck.junit_checks import check_report

SUMMARY = PropertySummary((("near", 312), ("schema", 40), ("hostile", 88)), 12.34, 42, "0123abcd")


def progress(
    near: int = 312, left: float = 7.0, failures: int = 1, planned: int = 1000, final: bool = False
) -> PropertyProgress:
    return PropertyProgress(
        (("near", near), ("schema", 40), ("hostile", 88)), failures, left, 60.0, planned, final
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the text ---------------------------------------------------------------------------------------------------


def test_the_figures_name_every_tier_the_failures_and_the_time_left() -> None:
    assert figures(progress()) == "near 312 · schema 40 · hostile 88 · 1 failure · 7 s left"
    assert figures(progress(failures=0, left=0.2)).endswith("· 0 failures · 0 s left")
    assert (
        plain_text(progress())
        == "property phase: 88% · near 312 · schema 40 · hostile 88 · 1 failure · 7 s left"
    )


def test_the_bar_follows_time_or_examples_whichever_is_nearer_its_end() -> None:
    assert fraction_done(progress(near=12, left=45.0)) == pytest.approx(
        0.25
    )  # 15 s of 60 used; 140 of 1000 sent
    assert fraction_done(progress(near=472, left=59.0)) == pytest.approx(0.6)  # 600 of 1000 sent
    assert fraction_done(progress(near=5000, left=50.0)) == 1.0  # more than planned: never past the end
    assert fraction_done(progress(planned=0, left=30.0)) == pytest.approx(0.5)
    assert [bar(f, 10) for f in (0.0, 0.5, 1.0)] == ["[          ]", "[====>     ]", "[==========]"]
    assert len(live_text(progress(near=10**6))) < 80 + 4  # fits a terminal line, give or take the counts


def test_the_summary_lists_the_examples_per_tier() -> None:
    assert summary_text(SUMMARY) == "property phase: 440 examples (near 312, schema 40, hostile 88) in 12.3 s"


# -- the live line and the plain lines --------------------------------------------------------------------------


def test_the_live_line_rewrites_itself_and_is_blanked_out() -> None:
    stream = io.StringIO()
    view = ProgressView(stream, live=True)
    view.show(progress(near=3))
    view.show(progress(near=300))
    view.clear()
    view.clear()  # nothing drawn: nothing written
    text = stream.getvalue()
    first, second = live_text(progress(near=3)), live_text(progress(near=300))
    assert text == f"\r{first}\r{second.ljust(len(first))}\r{' ' * len(second)}\r"
    assert "\n" not in text


def test_plain_lines_come_every_interval_and_never_for_a_short_phase() -> None:
    clock, stream = FakeClock(), io.StringIO()
    view = ProgressView(stream, live=False, interval_s=5.0, clock=clock)
    view.show(progress(near=1))  # the phase starts: no line yet
    clock.now += 4.9
    view.show(progress(near=2))
    assert stream.getvalue() == ""
    clock.now += 0.2
    view.show(progress(near=3))
    clock.now += 1.0
    view.show(progress(near=4))  # within the next interval: nothing
    clock.now += 10.0
    view.show(progress(near=5, final=True))  # the summary follows the final figures: nothing
    view.clear()
    assert stream.getvalue() == plain_text(progress(near=3)) + "\n"

    short = io.StringIO()
    quick = ProgressView(short, live=False, interval_s=5.0, clock=clock)
    quick.show(progress(near=1))
    clock.now += 1.0
    quick.show(progress(near=9, final=True))
    assert short.getvalue() == ""


# -- the console reporter ---------------------------------------------------------------------------------------


def _console(stream: io.StringIO, verbosity: int = 0) -> ConsoleReporter:
    reporter = ConsoleReporter(stream, verbosity=verbosity, color=False, progress_interval_s=0.0)
    reporter.handle(RunStarted("score.py", "http://127.0.0.1:1", "azmlinfsrv", 42, ("a.yaml",)))
    reporter.handle(CaseFinished("replay", "fixtures", "a.yaml", "passed", 0.01))
    return reporter


def _finish(reporter: ConsoleReporter) -> None:
    reporter.handle(SUMMARY)
    reporter.handle(CaseFinished("property", "score", "valid_json", "passed", 0.5))
    reporter.handle(RunFinished(2.0, 0))
    reporter.close()


def test_on_a_terminal_the_console_erases_the_live_line_before_the_summary() -> None:
    stream = Terminal()
    reporter = _console(stream)
    reporter.progress(progress(near=10))
    reporter.progress(progress(near=20, final=True))
    _finish(reporter)
    text = stream.getvalue()
    drawn = live_text(progress(near=20, final=True))
    assert f"\r{' ' * len(drawn)}\r{summary_text(SUMMARY)}\n" in text
    assert text.index("[100%]\n") < text.index("\r")  # the replay's line was ended first


def test_in_a_log_the_console_writes_plain_lines_and_no_control_characters() -> None:
    stream = io.StringIO()
    reporter = _console(stream)
    reporter.progress(progress(near=10))
    reporter.progress(progress(near=20))
    _finish(reporter)
    text = stream.getvalue()
    lines: List[str] = text.splitlines()
    assert plain_text(progress(near=10)) in lines
    assert summary_text(SUMMARY) in lines
    assert "\r" not in text
    assert "\x1b" not in text


def test_quiet_shows_no_progress_and_no_summary_line() -> None:
    for stream in (io.StringIO(), Terminal()):
        reporter = _console(stream, verbosity=-1)
        reporter.progress(progress(near=10))
        _finish(reporter)
        assert "property phase" not in stream.getvalue()
        assert "\r" not in stream.getvalue()


# -- the reports ------------------------------------------------------------------------------------------------


def test_the_json_report_holds_the_examples_per_tier() -> None:
    stream = io.StringIO()
    reporter = JsonReporter(stream)
    reporter.handle(SUMMARY)
    reporter.handle(RunFinished(1.0, 0))
    reporter.close()
    phase = json.loads(stream.getvalue())["property_phase"]
    assert phase["examples"] == {"near": 312, "schema": 40, "hostile": 88}
    assert (phase["total_examples"], phase["seed"], phase["digest"]) == (440, 42, "0123abcd")


def test_the_json_report_holds_the_measured_series() -> None:
    stream = io.StringIO()
    reporter = JsonReporter(stream)
    memory = Measurement(
        "memory",
        "Worker memory",
        "requests served",
        "RSS (MB)",
        ((0.0, 60.5), (200.0, 60.6)),
        (("slope", "0.5 kB"),),
    )
    reporter.handle(memory)
    reporter.handle(RunFinished(1.0, 0))
    reporter.close()
    (shown,) = json.loads(stream.getvalue())["measurements"]
    assert shown["name"] == "memory"
    assert (shown["x_label"], shown["y_label"]) == ("requests served", "RSS (MB)")
    assert shown["points"] == [[0.0, 60.5], [200.0, 60.6]]
    assert shown["notes"] == {"slope": "0.5 kB"}


def test_the_junit_property_suite_holds_the_examples_per_tier(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    reporter = JUnitReporter(path, {})
    reporter.handle(RunStarted("score.py", "http://127.0.0.1:1", "azmlinfsrv", 42, ("a.yaml",)))
    reporter.handle(CaseFinished("replay", "fixtures", "a.yaml", "passed", 0.01))
    reporter.handle(SUMMARY)
    reporter.handle(CaseFinished("property", "score", "valid_json", "passed", 0.5))
    reporter.handle(RunFinished(2.0, 0))
    reporter.close()
    report = check_report(path)  # valid against the XSD and the profile
    props = report.properties["scorecheck.property"]
    assert {k: props[k] for k in ("examples", "examples_near", "examples_schema", "examples_hostile")} == {
        "examples": "440",
        "examples_near": "312",
        "examples_schema": "40",
        "examples_hostile": "88",
    }
    assert props["property_digest"] == "0123abcd"
    assert props["seed"] == "42"
    assert "examples" not in report.properties["scorecheck.replay"]  # the replay suite has no such figures
