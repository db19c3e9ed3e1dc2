"""The HTML report from synthetic events: sections, escaping, no network or script, and the plots it draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from scorecheck.measurements import (
    BATCH_SCALING,
    INTERCEPT_NOTE,
    LATENCY,
    Timings,
    batch_scaling,
    latency,
)
from scorecheck.model import (
    WARNING_KIND,
    CaseFinished,
    Event,
    Measurement,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)
from scorecheck.reporters.html import HtmlReporter
from scorecheck.reporters.html_plots import percentile
from scorecheck.reporters.junit import JUnitReporter
from scorecheck.reporters.svgplot import log_ticks, nice_ticks, number
from tests.scorecheck.junit_checks import check_report

HOSTILE = "<script>alert('x')</script>"
SUMMARY = "seed 42; examples: 80 near, 20 hostile in 1.20 s; digest abc\nnear tier: 2 fixture request(s)"
CURL = "curl -sS -X POST http://127.0.0.1:5001/score -H 'Content-Type: application/json' --data-raw '{}'"


def started(seed: Optional[int] = 42) -> RunStarted:
    return RunStarted("score.py", "http://127.0.0.1:5001", "azmlinfsrv/1.5.1", seed, ("ok", "bad"))


def failure_details(payload: str) -> str:
    return "\n".join(
        [
            f"$.echo.tag: expected 'ok', got {payload!r}",
            "",
            "request:   POST /score",
            "fixture:   cases/bad.yaml",
            f"reproduce: {CURL}",
            "replay:    scorecheck run score.py cases/bad.yaml",
            "",
            "server log (x-request-id sc-1):",
            f"  INFO sc_echo handling {payload}",
        ]
    )


def property_warning() -> CaseFinished:
    details = f"warnings (they do not fail the gate):\n  status 500 (x3)\n  [hostile] POST /score: {HOSTILE}"
    return CaseFinished(
        "property",
        "score",
        "malformed_input_rejected",
        "passed",
        0.4,
        message="warning: status 500 for a hostile request",
        kind=WARNING_KIND,
        details=details,
        log=f"{details}\n\n{SUMMARY}",
    )


def property_failure() -> CaseFinished:
    details = "\n".join(
        [
            "status 500",
            "",
            'minimal payload: {"data": []}',
            "tier:      near (a fixture's request with 1-3 mutations)",
            f"reproduce: {CURL}",
            "saved as:  .scorecheck/failures/score/not_a_server_error-1.json",
            "replay:    scorecheck run score.py .scorecheck/failures/score/not_a_server_error-1.json",
            "",
            "server log (x-request-id sc-2):",
            "  ZeroDivisionError: float division by zero",
        ]
    )
    return CaseFinished(
        "property",
        "score",
        "not_a_server_error",
        "failed",
        0.4,
        message='[near] status 500; payload {"data": []}',
        kind="ServerError",
        details=details,
        log="ZeroDivisionError: float division by zero",
    )


def latency_points(start: int, values: Sequence[float]) -> Tuple[Tuple[float, float], ...]:
    return tuple((float(start + i), ms) for i, ms in enumerate(values))


def full_run() -> List[Event]:
    replay_latency = latency(latency_points(1, [5.0, 7.0]), "replay")
    tiers = (("near examples", "80"), ("schema examples", "0"), ("hostile examples", "20"))
    property_latency = latency(latency_points(3, [float(n) for n in range(1, 101)]), "property phase", tiers)
    scaling = batch_scaling([(1, 2.0), (3, 2.5), (30, 4.0), (300, 9.0)], 2.0, 0.6, 3.0, 2000.0)
    assert replay_latency
    assert property_latency
    assert scaling
    return [
        started(),
        ServerStarted(0.8, "boot line one\nboot line two"),
        CaseFinished("replay", "fixtures", "ok", "passed", 0.01),
        CaseFinished(
            "replay",
            "fixtures",
            "bad",
            "failed",
            0.02,
            message=f"$.echo.tag: expected 'ok', got {HOSTILE!r}",
            kind="BodyMismatch",
            details=failure_details(HOSTILE),
            log=f"INFO sc_echo handling {HOSTILE}",
        ),
        replay_latency,
        property_failure(),
        property_warning(),
        CaseFinished("property", "score", "valid_json", "passed", 0.4, log=SUMMARY),
        property_latency,
        scaling,
        RunFinished(3.5, 1),
    ]


def write(tmp_path: Path, events: Sequence[Event], reason: Optional[str] = None) -> str:
    path = tmp_path / "report.html"
    reporter = HtmlReporter(path)
    for event in events:
        reporter.handle(event)
    reporter.close(reason)
    return path.read_text(encoding="utf-8")


def parse(page: str) -> ET.Element:
    """The page is well-formed markup: xml.etree reads it whole (a browser's parser is more lenient)."""
    return ET.fromstring(page.split("\n", 1)[1])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: List[Tuple[str, Dict[str, Optional[str]]]] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_tags(page: str) -> List[Tuple[str, Dict[str, Optional[str]]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def all_text(element: ET.Element) -> str:
    return "".join(element.itertext())


def by_id(root: ET.Element, ident: str) -> ET.Element:
    found = root.find(f".//*[@id='{ident}']")
    assert found is not None, f"no element with id {ident}"
    return found


def assert_self_contained(page: str) -> None:
    tags = html_tags(page)
    assert "script" not in {tag for tag, _ in tags}
    for tag, attrs in tags:
        assert not {"src", "srcset"} & set(attrs), tag
        assert not any(name.startswith("on") for name in attrs), tag  # no event handlers: no JavaScript
        assert not (attrs.get("href") or "#").startswith(("http:", "https:", "//")), attrs
    assert tag != "link"
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)


# ---------------------------------------------------------------------------------------------------------------


def test_the_page_has_every_section(tmp_path: Path) -> None:
    page = write(tmp_path, full_run())
    root = parse(page)
    assert page.startswith("<!DOCTYPE html>\n")
    for ident in ("summary", "failures", "warnings", "plots", "suite-replay", "suite-property", "server-log"):
        by_id(root, ident)
    summary = all_text(by_id(root, "summary"))
    assert "FAILED (exit code 1)" in summary
    assert "azmlinfsrv/1.5.1 at http://127.0.0.1:5001" in summary
    assert "3 passed, 2 failed, 0 error, 0 skipped, 1 with a warning" in summary
    assert "server ready after" in summary
    assert "0.80 s" in summary


def test_each_failure_shows_its_diff_curl_replay_fixture_and_log_lines(tmp_path: Path) -> None:
    root = parse(write(tmp_path, full_run()))
    first, second = by_id(root, "failure-1"), by_id(root, "failure-2")
    fields = {all_text(dt): all_text(dd) for dt, dd in _pairs(first.find(".//dl"))}
    assert fields == {
        "fixture": "cases/bad.yaml",
        "reproduce": CURL,
        "replay": "scorecheck run score.py cases/bad.yaml",
    }
    text = all_text(first)
    assert f"$.echo.tag: expected 'ok', got {HOSTILE!r}" in text
    assert f"INFO sc_echo handling {HOSTILE}" in text
    assert "[BodyMismatch]" in text
    saved = {all_text(dt): all_text(dd) for dt, dd in _pairs(second.find(".//dl"))}
    assert saved["saved as"] == ".scorecheck/failures/score/not_a_server_error-1.json"
    assert "ZeroDivisionError: float division by zero" in all_text(second)
    assert first.tag == "details"
    assert first.get("open") is not None


def _pairs(dl: Optional[ET.Element]) -> List[Tuple[ET.Element, ET.Element]]:
    assert dl is not None
    children = list(dl)
    return list(zip(children[::2], children[1::2]))


def test_hostile_strings_are_text_never_markup(tmp_path: Path) -> None:
    page = write(tmp_path, full_run())
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert_self_contained(page)
    assert HOSTILE in all_text(parse(page))  # and the reader sees it as it was sent


def test_control_characters_and_markup_in_every_field_stay_visible(tmp_path: Path) -> None:
    nasty = "a\x00b\x1b[31m</pre></details><img src=x onerror=alert(1)>\ud800\r\n&amp;"
    events: List[Event] = [
        RunStarted(nasty, nasty, nasty, None, (nasty,), ((nasty, nasty),)),
        ServerStarted(0.1, nasty),
        CaseFinished("replay", nasty, nasty, "error", 0.1, nasty, nasty, nasty, nasty),
        Measurement(nasty, nasty, nasty, nasty, ((1.0, 2.0), (2.0, 3.0)), ((nasty, nasty),)),
        RunFinished(1.0, 1),
    ]
    page = write(tmp_path, events)
    assert_self_contained(page)
    root = parse(page)  # well-formed although NUL, ESC, a lone surrogate and markup were everywhere
    text = all_text(root)
    assert "a\\x00b\\x1b[31m</pre></details><img src=x onerror=alert(1)>\\ud800" in text
    assert "&amp;" in text
    assert root.find(".//img") is None


def test_no_javascript_and_no_network_in_a_full_page(tmp_path: Path) -> None:
    assert_self_contained(write(tmp_path, full_run()))


def test_the_latency_distribution_marks_p50_p95_p99(tmp_path: Path) -> None:
    root = parse(write(tmp_path, full_run()))
    figure = by_id(root, f"m-{LATENCY}")
    svg = figure.find("svg")
    assert svg is not None
    labels = {all_text(t) for t in svg.iter("text")}
    # The replay's 2 requests and the property phase's 100 are one series of 102.
    values = sorted([5.0, 7.0, *range(1, 101)])
    assert f"p50 {number(percentile(values, 50))} ms" in labels
    assert f"p95 {number(percentile(values, 95))} ms" in labels
    assert f"p99 {number(percentile(values, 99))} ms" in labels
    assert "latency (ms), log scale" in labels
    assert "share of requests answered within the time (%)" in labels
    notes = _notes(figure)
    assert notes["requests"] == "102"
    assert notes["requests sent by the replay"] == "2"
    assert notes["requests sent by the property phase"] == "100"


def _notes(figure: ET.Element) -> Dict[str, str]:
    return {all_text(row[0]): all_text(row[1]) for row in figure.iter("tr")}


def test_the_batch_scaling_curve_draws_its_extrapolation_and_budget(tmp_path: Path) -> None:
    root = parse(write(tmp_path, full_run()))
    svg = by_id(root, f"m-{BATCH_SCALING}").find("svg")
    assert svg is not None
    classes = [line.get("class") for line in svg.iter("polyline")]
    assert classes == ["data", "fit", "limit"]
    labels = {all_text(t) for t in svg.iter("text")}
    assert {
        "batch items",
        "latency (ms)",
        "linear extrapolation",
        "fails above 3x the extrapolation",
    } <= labels
    assert len([c for c in svg.iter("circle")]) == 4  # the measured points
    # The budget (2000 ms) is far above every point: the axes follow the data and the notes give it.
    assert "budget 2000 ms" not in labels
    assert _notes(by_id(root, f"m-{BATCH_SCALING}"))["latency budget (ms)"] == "2000"


def test_a_scaling_curve_without_its_fit_notes_is_the_curve_only(tmp_path: Path) -> None:
    scaling = batch_scaling([(1, 2.0), (10, 3.0)], 2.0, 0.1, 3.0, 2.5)
    assert scaling is not None
    bare = Measurement(scaling.name, scaling.title, scaling.x_label, scaling.y_label, scaling.points)
    root = parse(write(tmp_path, [started(), bare, RunFinished(1.0, 0)]))
    svg = by_id(root, f"m-{BATCH_SCALING}").find("svg")
    assert svg is not None
    assert [line.get("class") for line in svg.iter("polyline")] == ["data"]
    with_budget = parse(write(tmp_path, [started(), scaling, RunFinished(1.0, 0)]))
    texts = {all_text(t) for t in with_budget.iter("text")}
    assert "budget 2.5 ms" in texts  # within the data's range: drawn
    assert any(key == INTERCEPT_NOTE for key, _ in scaling.notes)


def test_memory_and_startup_render_generically(tmp_path: Path) -> None:
    memory = Measurement(
        "memory",
        "Worker memory over requests served",
        "requests served",
        "RSS (MB)",
        tuple((float(n), 80.0 + n * 0.05) for n in range(0, 400, 20)),
        (("growth", "51 kB/request"), ("verdict", "fails: above 50 kB/request")),
    )
    startup = Measurement(
        "startup", "Start-up", "", "", (), (("launch to ready", "3.1 s"), ("init()", "2.7 s"))
    )
    root = parse(write(tmp_path, [started(), memory, startup, RunFinished(1.0, 1)]))
    figure = by_id(root, "m-memory")
    svg = figure.find("svg")
    assert svg is not None
    labels = {all_text(t) for t in svg.iter("text")}
    assert {"requests served", "RSS (MB)"} <= labels
    assert len(list(svg.iter("circle"))) == 20
    assert _notes(figure) == {"growth": "51 kB/request", "verdict": "fails: above 50 kB/request"}
    start = by_id(root, "m-startup")
    assert start.find("svg") is None
    assert _notes(start) == {"launch to ready": "3.1 s", "init()": "2.7 s"}
    assert all_text(start.find("figcaption")) == "Start-up"  # type: ignore[arg-type]


def test_the_property_phase_per_tier(tmp_path: Path) -> None:
    root = parse(write(tmp_path, full_run()))
    tiers = by_id(root, "suite-property").find(".//table[@class='cases tiers']")
    assert tiers is not None
    rows = {all_text(row[0]): [all_text(cell) for cell in row[1:]] for row in list(tiers)[1:]}
    assert rows["near"][1:] == ["80", "not_a_server_error (failed)"]
    assert rows["schema"][1:] == ["0", "nothing"]
    assert rows["hostile"][1:] == ["20", "malformed_input_rejected (warning)"]
    assert "seed 42; examples: 80 near, 20 hostile" in all_text(root)


def test_an_interrupted_run_says_so(tmp_path: Path) -> None:
    events = full_run()[:4]
    root = parse(write(tmp_path, events, reason="interrupted (SIGTERM)"))
    summary = all_text(by_id(root, "summary"))
    assert "INCOMPLETE" in summary
    assert "interrupted (SIGTERM)" in summary


def test_a_server_that_failed_or_died(tmp_path: Path) -> None:
    failed = ServerFailed(
        1.2, "boot\nTraceback ...", "init() raised", 3, "Traceback\nValueError: no model", "--model-dir"
    )
    died = ServerDied("the server exited unexpectedly with code -9", "last line", -9)
    root = parse(write(tmp_path, [started(), failed, died, RunFinished(1.3, 3)]))
    assert "The server failed to start (exit code 3)" in all_text(by_id(root, "server"))
    text = all_text(root)
    assert "ValueError: no model" in text
    assert "--model-dir" in text
    assert "The server died during the run (exit code -9)" in text
    assert "last line" in text


def test_the_junit_report_ignores_measurements(tmp_path: Path) -> None:
    path = tmp_path / "TEST-scorecheck.xml"
    reporter = JUnitReporter(path, {})
    for event in full_run():
        reporter.handle(event)
    reporter.close()
    report = check_report(path)  # valid against the XSD and the profile
    assert len(report.cases) == 6  # 5 cases and the server's start-up


# ---------------------------------------------------------------------------------------------------------------
# The pieces


def test_timings_hand_each_phase_its_share_with_indices_in_the_run() -> None:
    timings = Timings()
    for ms in (1.0, 2.0):
        timings.add(ms)
    assert timings.take() == ((1.0, 1.0), (2.0, 2.0))
    assert timings.take() == ()
    timings.add(3.0)
    assert timings.take() == ((3.0, 3.0),)
    assert latency((), "replay") is None
    assert batch_scaling([], 1.0, 1.0, 3.0, None) is None


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0, 10, [0, 2, 4, 6, 8, 10]), (0, 1.3, [0, 0.5, 1.0, 1.5]), (3, 97, [0, 20, 40, 60, 80, 100])],
)
def test_ticks_are_round_and_cover_the_range(low: float, high: float, expected: List[float]) -> None:
    assert nice_ticks(low, high) == expected


def test_log_ticks_bracket_the_values() -> None:
    assert log_ticks(1.4, 214.5) == [1, 2, 5, 10, 20, 50, 100, 200, 500]
    assert log_ticks(0.3, 0.45) == [0.2, 0.5]
    assert log_ticks(7.0, 7.0) == [5, 10]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([7.0], 99) == 7.0
