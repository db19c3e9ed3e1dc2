"""The HTML report's page: summary, server problems, failures, warnings, plots, suites and the property phase.

The page is well-formed XHTML-compatible markup with inline CSS and inline SVG: it needs no network and no
JavaScript (collapsible parts are `<details>`). Every text from the run goes through `text()`, which makes control
characters visible and escapes markup, because the report shows hostile payloads and raw server log lines.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .. import __version__
from ..measurements import BATCH_SCALING, LATENCY, TIER_NOTE
from ..model import (
    OUTCOMES,
    WARNING_KIND,
    CaseFinished,
    Measurement,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)
from ..phases.checks import TIERS
from ..phases.properties import TIER_MEANING
from .html_plots import figure, merge
from .junit import cap_output
from .markup import text

BLOCK_LIMIT = 256 * 1024  # bytes of one text block (details, a log) kept in the page
PLOT_ORDER = (BATCH_SCALING, LATENCY, "memory", "startup")
_FIELD = re.compile(r"^(reproduce|replay|fixture|saved as):\s+(.*)$")
_TIER = re.compile(r"\[(" + "|".join(TIERS) + r")\]")
SUITE_TITLES = {"replay": "Fixture cases", "property": "Property phase"}

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px;
  padding: 0 24px 48px; color: #1f2328; background: #fff; }
h1 { font-size: 24px; margin: 24px 0 8px; } h2 { font-size: 19px; margin: 32px 0 8px;
  border-bottom: 1px solid #d0d7de; padding-bottom: 4px; } h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { text-align: left; vertical-align: top;
  padding: 3px 10px 3px 0; } table.cases td, table.cases th { border-bottom: 1px solid #eaeef2; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: 8px; margin: 4px 0;
  white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
code { font: 12px ui-monospace, Menlo, Consolas, monospace; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-weight: 600; font-size: 12px;
  color: #fff; background: #6e7781; }
.passed { color: #1a7f37; } .failed, .error { color: #cf222e; } .warning { color: #9a6700; }
.skipped, .muted { color: #6e7781; }
.badge.passed { background: #1a7f37; color: #fff; } .badge.failed, .badge.error { background: #cf222e;
  color: #fff; } .badge.warning { background: #bf8700; color: #fff; } .badge.skipped { background: #6e7781;
  color: #fff; }
.verdict { font-size: 18px; padding: 2px 12px; }
details.case { border: 1px solid #d0d7de; border-left: 4px solid #cf222e; border-radius: 4px;
  padding: 6px 10px; margin: 10px 0; }
details.case.case-warning { border-left-color: #bf8700; }
details > summary { cursor: pointer; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dl.fields dt { font-weight: 600; } dl.fields dd { margin: 0; }
nav a { margin-right: 14px; }
figure.measurement { margin: 16px 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.plot { max-width: 100%; height: auto; background: #fff; border: 1px solid #d0d7de; }
svg .grid { stroke: #eaeef2; } svg .axis { stroke: #57606a; }
svg text { font: 11px system-ui, sans-serif; fill: #57606a; } svg .label { font-size: 12px; fill: #1f2328; }
svg polyline { fill: none; stroke-width: 2; } svg polyline.data, svg line.data { stroke: #0969da; }
svg circle.data { fill: #0969da; } svg polyline.fit, svg line.fit { stroke: #8250df;
  stroke-dasharray: 6 4; stroke-width: 1.5; } svg polyline.limit, svg line.limit { stroke: #cf222e;
  stroke-dasharray: 2 3; stroke-width: 1.5; } svg line.data, svg line.fit, svg line.limit { stroke-width: 2; }
svg .marker { stroke: #bf8700; stroke-dasharray: 4 3; } svg .marker-label { fill: #9a6700; }
td.time { white-space: nowrap; }
table.notes th { font-weight: normal; color: #57606a; }
"""


@dataclass
class RunRecord:
    """Everything the page shows, as the events told it."""

    started: Optional[RunStarted] = None
    server: Optional[Union[ServerStarted, ServerFailed]] = None
    died: Optional[ServerDied] = None
    cases: List[CaseFinished] = field(default_factory=list)
    measurements: List[Measurement] = field(default_factory=list)
    finished: Optional[RunFinished] = None
    interrupted: str = ""  # why the run did not finish, when it did not
    written: float = field(default_factory=time.time)  # set again when the page is written


def block(value: str) -> str:
    """A preformatted text block, capped so that a runaway log cannot make the page unusable."""
    return f"<pre>{text(cap_output(value, BLOCK_LIMIT))}</pre>"


def section(ident: str, content: str) -> str:
    return f'<section id="{text(ident)}">{content}</section>'


def warned(case: CaseFinished) -> bool:
    return case.outcome == "passed" and case.kind == WARNING_KIND


def _status(case: CaseFinished) -> Tuple[str, str]:
    """The word and the CSS class a case is shown with."""
    return ("WARNING", "warning") if warned(case) else (case.outcome.upper(), case.outcome)


# ---------------------------------------------------------------------------------------------------------------
# The page


def render(record: RunRecord) -> str:
    measurements = _ordered(merge(record.measurements))
    sections = [
        _summary(record),
        _server_problems(record),
        _failures(record.cases),
        _warnings(record.cases),
        _plots(measurements),
        *_suites(record, measurements),
        _boot_log(record),
    ]
    title = f"scorecheck: {_verdict(record)[0]} {record.started.entry_script if record.started else ''}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{text(title.strip())}</title><style>{STYLE}</style></head><body>"
        + _nav(record, measurements)
        + "".join(sections)
        + f'<p class="muted">written by scorecheck {text(__version__)}</p></body></html>\n'
    )


def _ordered(measurements: List[Measurement]) -> List[Measurement]:
    def rank(item: Measurement) -> int:
        return PLOT_ORDER.index(item.name) if item.name in PLOT_ORDER else len(PLOT_ORDER)

    return sorted(measurements, key=rank)


def _nav(record: RunRecord, measurements: Sequence[Measurement]) -> str:
    links = [("summary", "Summary")]
    if _problems(record.cases):
        links.append(("failures", f"Failures ({len(_problems(record.cases))})"))
    if any(warned(case) for case in record.cases):
        links.append(("warnings", f"Warnings ({sum(warned(case) for case in record.cases)})"))
    if measurements:
        links.append(("plots", "Plots"))
    links += [(f"suite-{suite}", SUITE_TITLES.get(suite, suite)) for suite in _suite_names(record.cases)]
    return (
        "<nav>"
        + "".join(f'<a href="#{text(anchor)}">{text(label)}</a>' for anchor, label in links)
        + "</nav>"
    )


def _verdict(record: RunRecord) -> Tuple[str, str]:
    if record.finished is None:
        return "INCOMPLETE", "error"
    if record.finished.exit_code == 0:
        return "PASSED", "passed"
    return f"FAILED (exit code {record.finished.exit_code})", "failed"


def _counts(cases: Sequence[CaseFinished]) -> str:
    counts: Dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for case in cases:
        counts[case.outcome] = counts.get(case.outcome, 0) + 1
    parts = [f'<span class="{name}">{counts[name]} {name}</span>' for name in OUTCOMES]
    parts.append(f'<span class="warning">{sum(warned(case) for case in cases)} with a warning</span>')
    return ", ".join(parts)


def _summary(record: RunRecord) -> str:
    verdict, css = _verdict(record)
    rows = [
        ("verdict", f'<span class="badge verdict {css}">{text(verdict)}</span>'),
        ("cases", _counts(record.cases)),
    ]
    rows += [(label, text(value)) for label, value in _facts(record)]
    table = "".join(f"<tr><th>{text(label)}</th><td>{value}</td></tr>" for label, value in rows)
    stopped = (
        '<p class="error">The run did not finish: the report holds what happened before it stopped.</p>'
        f"{block(record.interrupted)}"
        if record.interrupted
        else ""
    )
    script = (
        record.started.entry_script if record.started and record.started.entry_script else "scorecheck run"
    )
    return section("summary", f'<h1>{text(script)}</h1>{stopped}<table class="summary">{table}</table>')


def _facts(record: RunRecord) -> List[Tuple[str, str]]:
    started = record.started
    facts: List[Tuple[str, str]] = []
    if started is not None:
        facts += [("server", f"{started.server_version} at {started.base_url}")]
        facts += [("seed", "none (no property phase)" if started.seed is None else str(started.seed))]
    facts += _timings(record)
    if started is not None:
        facts += [(name, value) for name, value in started.properties if name not in ("base_url",)]
    stamp = datetime.fromtimestamp(record.written, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return [*facts, ("written at", stamp)]


def _timings(record: RunRecord) -> List[Tuple[str, str]]:
    timings = []
    if record.finished is not None:
        timings.append(("run time", f"{record.finished.elapsed_s:.2f} s"))
    if isinstance(record.server, ServerStarted):
        timings.append(("server ready after", f"{record.server.elapsed_s:.2f} s"))
    for suite in _suite_names(record.cases):
        total = sum(case.elapsed_s for case in record.cases if case.suite == suite)
        timings.append((f"{SUITE_TITLES.get(suite, suite).lower()} time", f"{total:.2f} s"))
    return timings


# ---------------------------------------------------------------------------------------------------------------
# Server problems, failures, warnings


def _server_problems(record: RunRecord) -> str:
    parts = []
    server = record.server
    if isinstance(server, ServerFailed):
        code = "" if server.exit_code is None else f" (exit code {server.exit_code})"
        head = f'<h2 class="error">The server failed to start{text(code)}</h2><p>{text(server.message)}</p>'
        hint = f"<p><strong>{text(server.hint)}</strong></p>" if server.hint else ""
        trace = block(server.traceback) if server.traceback else ""
        parts.append(section("server", head + hint + trace + _collapsed("boot log", server.log)))
    if record.died is not None:
        died = record.died
        code = "" if died.exit_code is None else f" (exit code {died.exit_code})"
        head = f'<h2 class="error">The server died during the run{text(code)}</h2><p>{text(died.message)}</p>'
        tail = _collapsed("last lines of the server log", died.log, expanded=True)
        parts.append(section("server-died", head + tail))
    return "".join(parts)


def _collapsed(label: str, content: str, expanded: bool = False) -> str:
    if not content.strip():
        return ""
    lines = content.count("\n") + 1
    opened = ' open=""' if expanded else ""
    return f"<details{opened}><summary>{text(label)} ({lines} lines)</summary>{block(content)}</details>"


def _problems(cases: Sequence[CaseFinished]) -> List[CaseFinished]:
    return [case for case in cases if case.outcome in ("failed", "error")]


def _failures(cases: Sequence[CaseFinished]) -> str:
    problems = _problems(cases)
    if not problems:
        return ""
    items = "".join(_case_card(case, index) for index, case in enumerate(problems, 1))
    return section("failures", f"<h2>Failures ({len(problems)})</h2>{items}")


def _warnings(cases: Sequence[CaseFinished]) -> str:
    shown = [case for case in cases if warned(case)]
    if not shown:
        return ""
    items = "".join(_case_card(case, index) for index, case in enumerate(shown, 1))
    note = '<p class="muted">Warnings do not fail the gate.</p>'
    return section("warnings", f"<h2>Warnings ({len(shown)})</h2>{note}{items}")


def _case_card(case: CaseFinished, index: int) -> str:
    word, css = _status(case)
    kind = f" [{case.kind}]" if case.kind and not warned(case) else ""
    head = (
        f'<summary><span class="badge {css}">{text(word)}</span> <code>{text(case.suite)}/{text(case.group)}</code> '
        f"<strong>{text(case.name)}</strong>{text(kind)}"
        + (f" — {text(case.message)}" if case.message else "")
        + "</summary>"
    )
    body = _fields(case.details) + (block(case.details) if case.details else "")
    # A warning's log repeats its details with the phase's summary, which the property section shows.
    if case.log and not warned(case) and not _already_shown(case.log, case.details):
        body += _collapsed("server log of this case", case.log, expanded=True)
    anchor = f"{'failure' if css != 'warning' else 'warning'}-{index}"
    return f'<details class="case case-{css}" id="{anchor}" open="">{head}{body}</details>'


def _fields(details: str) -> str:
    """The lines a reviewer copies (curl, replay command, fixture, saved failure) as labelled fields first."""
    found = [match.groups() for match in map(_FIELD.match, details.splitlines()) if match]
    if not found:
        return ""
    rows = "".join(f"<dt>{text(label)}</dt><dd><code>{text(value)}</code></dd>" for label, value in found)
    return f'<dl class="fields">{rows}</dl>'


def _already_shown(log: str, details: str) -> bool:
    return all(line.strip() in details for line in log.splitlines())


# ---------------------------------------------------------------------------------------------------------------
# Plots, suites, the property phase


def _plots(measurements: Sequence[Measurement]) -> str:
    if not measurements:
        return ""
    return section("plots", "<h2>Plots</h2>" + "".join(figure(measurement) for measurement in measurements))


def _suite_names(cases: Sequence[CaseFinished]) -> List[str]:
    names: List[str] = []
    for case in cases:
        if case.suite not in names:
            names.append(case.suite)
    return names


def _suites(record: RunRecord, measurements: Sequence[Measurement]) -> List[str]:
    sections = []
    for suite in _suite_names(record.cases):
        cases = [case for case in record.cases if case.suite == suite]
        title = SUITE_TITLES.get(suite, f"Suite {suite}")
        extra = _property_overview(cases, measurements) if suite == "property" else ""
        heading = f"<h2>{text(title)} ({len(cases)})</h2>"
        sections.append(section(f"suite-{suite}", heading + extra + _case_table(cases)))
    return sections


def _case_table(cases: Sequence[CaseFinished]) -> str:
    rows = []
    for case in cases:
        word, css = _status(case)
        rows.append(
            f'<tr><td class="{css}">{text(word)}</td><td>{text(case.name)}</td><td>{text(case.group)}</td>'
            f'<td class="time">{case.elapsed_s * 1000:.0f} ms</td><td>{text(case.message)}</td></tr>'
        )
    head = "<tr><th>outcome</th><th>case</th><th>group</th><th>time</th><th>message</th></tr>"
    return f'<table class="cases">{head}{"".join(rows)}</table>'


def _property_overview(cases: Sequence[CaseFinished], measurements: Sequence[Measurement]) -> str:
    """Per tier: what it sends, how many examples it sent, and which checks found something with it."""
    examples = {label: value for m in measurements if m.name == LATENCY for label, value in m.notes}
    rows = []
    for tier in TIERS:
        found = [
            f"{case.name} ({_status(case)[0].lower()})"
            for case in cases
            if (case.outcome == "failed" or warned(case))
            and tier in _TIER.findall(f"{case.message}\n{case.details}")
        ]
        rows.append(
            f"<tr><td><strong>{text(tier)}</strong></td><td>{text(TIER_MEANING[tier])}</td>"
            f"<td>{text(examples.get(TIER_NOTE.format(tier=tier), '—'))}</td>"
            f"<td>{text(', '.join(found) or 'nothing')}</td></tr>"
        )
    head = "<tr><th>tier</th><th>what it sends</th><th>examples</th><th>findings</th></tr>"
    summary = next((case.log for case in cases if case.log.startswith("seed ")), "")
    plan = _collapsed("what the phase learned and sent", summary, expanded=True) if summary else ""
    return f'<table class="cases tiers">{head}{"".join(rows)}</table>{plan}'


def _boot_log(record: RunRecord) -> str:
    if not isinstance(record.server, ServerStarted) or not record.server.log.strip():
        return ""
    return section("server-log", "<h2>Server</h2>" + _collapsed("boot log", record.server.log))
