"""Human-readable progress and summary on the terminal, fed by runner events.

Progress is one character per case (a line per case with -v, nothing with -q) so that long suites show
they are moving, and the property phase's live figures (`progress.py`); at the end come the details of every
failure, a summary table and one closing line. Colour is used only when the stream is a terminal and NO_COLOR
is unset.
"""

from __future__ import annotations

import sys
from typing import Dict, List, Optional, TextIO

from ..model import (
    WARNING_KIND,
    CaseFinished,
    Event,
    Measurement,
    PropertyProgress,
    PropertySummary,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
    plural,
)
from .progress import PLAIN_INTERVAL_S, ProgressView, summary_text

OUTCOMES = ("passed", "failed", "error", "skipped")
_SYMBOL = {"passed": ".", "failed": "F", "error": "E", "skipped": "s"}
_COLOUR = {"passed": "32", "failed": "31", "error": "31", "skipped": "33", "bold": "1"}
_WIDTH = 60  # progress characters per line
_LOG_TAIL = 30
# Measurements summed up in one line, and how many of their notes the line shows (the rest are for reports).
# The series the console sums up in one line: its label there, and how many of its notes it shows.
_MEASUREMENT_LINES = {"startup": ("start-up", 3), "memory": ("worker memory", 3)}


class ConsoleReporter:
    def __init__(
        self,
        stream: Optional[TextIO] = None,
        *,
        verbosity: int = 0,
        color: bool = True,
        report_path: Optional[str] = None,
        progress_interval_s: float = PLAIN_INTERVAL_S,
    ) -> None:
        self.stream = stream or sys.stdout
        self.verbosity = verbosity
        self.color = color and _isatty(self.stream)
        self.report_path = report_path
        self._view = ProgressView(self.stream, live=_isatty(self.stream), interval_s=progress_interval_s)
        self._planned = 0
        self._column = 0
        self._done = 0
        self._cases: List[CaseFinished] = []

    # -- output helpers ---------------------------------------------------------------------------------------

    def _paint(self, text: str, style: str) -> str:
        return f"\x1b[{_COLOUR[style]}m{text}\x1b[0m" if self.color else text

    def _line(self, text: str = "") -> None:
        self._view.clear()
        self._end_progress()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _end_progress(self) -> None:
        if self._column:
            self.stream.write("\n")
            self._column = 0

    # -- events -----------------------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._on_started(event)
        elif isinstance(event, ServerStarted) and self.verbosity >= 0:
            self._line(f"server ready in {event.elapsed_s:.2f} s")
        elif isinstance(event, ServerFailed):
            self._on_server_failed(event)
        elif isinstance(event, ServerDied):
            self._on_server_died(event)
        elif isinstance(event, CaseFinished):
            self._on_case(event)
        elif isinstance(event, PropertySummary) and self.verbosity >= 0:
            self._line(summary_text(event))
        elif isinstance(event, Measurement) and event.name in _MEASUREMENT_LINES and self.verbosity >= 0:
            label, shown = _MEASUREMENT_LINES[event.name]
            self._line(f"{label}: " + "; ".join(f"{name} {value}" for name, value in event.notes[:shown]))
        elif isinstance(event, RunFinished):
            self._on_finished(event)

    def _on_started(self, event: RunStarted) -> None:
        self._planned = len(event.planned)
        if self.verbosity < 0:
            return
        script = event.entry_script or "(no script)"
        self._line(self._paint(f"scorecheck: {script} against {event.base_url}", "bold"))
        self._line(f"{plural(self._planned, 'case')} planned; server {event.server_version}")
        if event.seed is not None:
            self._line(f"property phase after the replay: seed {event.seed} (change it with --seed)")

    def _on_server_failed(self, event: ServerFailed) -> None:
        self._line(self._paint(f"SERVER FAILED TO START: {event.message}", "error"))
        if event.hint:
            self._line(self._paint(event.hint, "bold"))
        shown = event.traceback.splitlines() or event.log.splitlines()[-_LOG_TAIL:]
        for line in shown:
            self._line(f"  {line}")

    def _on_server_died(self, event: ServerDied) -> None:
        self._line(self._paint(f"SERVER DIED: {event.message}", "error"))
        for line in event.log.splitlines()[-_LOG_TAIL:]:
            self._line(f"  {line}")

    def _on_case(self, event: CaseFinished) -> None:
        self._cases.append(event)
        if event.suite == "lint":  # reported before the server starts: a line each, not a progress mark
            self._lint_lines(event)
            return
        if event.suite == "replay":  # the percentage is of the planned fixture cases; other checks only mark
            self._done += 1
        if self.verbosity > 0:
            label = self._paint(event.outcome.upper().ljust(7), event.outcome)
            reason = f"  {event.message}" if event.message else ""
            self._line(f"{label} {event.name} ({event.elapsed_s * 1000:.0f} ms){reason}")
        elif self.verbosity == 0:
            self._progress(event.outcome, counted=event.suite == "replay")

    def progress(self, value: PropertyProgress) -> None:
        """The property phase's live figures (a `ProgressListener`); none with -q."""
        if self.verbosity < 0:
            return
        self._end_progress()  # the property phase starts on a line of its own
        self._view.show(value)

    def _lint_lines(self, event: CaseFinished) -> None:
        if self.verbosity < 0:
            return
        label = self._paint("lint warning" if _warned(event) else f"lint {event.outcome}", event.outcome)
        lines = (event.details or event.log or event.message).splitlines()
        self._line(f"{label}: {lines[0] if lines else event.name}")
        for line in lines[1:]:
            self._line(f"  {line}")

    def _progress(self, outcome: str, *, counted: bool) -> None:
        self._view.clear()
        self.stream.write(self._paint(_SYMBOL.get(outcome, "?"), outcome))
        self._column += 1
        if self._column >= _WIDTH or (counted and self._done == self._planned):
            total = max(self._planned, self._done)
            self.stream.write(f" [{self._done * 100 // max(total, 1):3d}%]\n")
            self._column = 0
        self.stream.flush()

    # -- the end ----------------------------------------------------------------------------------------------

    def _on_finished(self, event: RunFinished) -> None:
        self._end_progress()
        problems = [case for case in self._cases if case.outcome in ("failed", "error")]
        if problems and self.verbosity >= 0:
            self._details(problems)
        self._table()
        self._line(self._closing(event))

    def _details(self, problems: List[CaseFinished]) -> None:
        self._line()
        self._line(self._paint("=" * 20 + " failures " + "=" * 20, "bold"))
        for case in problems:
            title = f"--- {case.name} [{case.kind or case.outcome}] ---"
            self._line(self._paint(title, case.outcome))
            body = case.details or case.message
            for line in body.splitlines():
                self._line(f"  {line}" if line else "")

    def _table(self) -> None:
        """A line per case that did not pass (skipped ones only with -v), then the counts."""
        shown = [c for c in self._cases if c.outcome in ("failed", "error") or _warned(c)]
        if self.verbosity > 0:
            shown += [c for c in self._cases if c.outcome == "skipped"]
        if shown:
            width = min(max(len(c.name) for c in shown), 50)
            self._line()
            for case in shown:
                word, style = (
                    ("WARNING", "skipped") if _warned(case) else (case.outcome.upper(), case.outcome)
                )
                label = self._paint(word.ljust(7), style)
                self._line(f"{label} {case.name.ljust(width)}  {case.message}")
        counts = self._counts()
        self._line()
        self._line("  ".join(f"{name} {counts[name]}" for name in OUTCOMES))

    def _counts(self) -> Dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for case in self._cases:
            counts[case.outcome] = counts.get(case.outcome, 0) + 1
        return counts

    def _closing(self, event: RunFinished) -> str:
        counts = self._counts()
        parts = [
            f"{counts[name]} {name}" for name in ("failed", "error", "passed", "skipped") if counts[name]
        ]
        verdict = "PASSED" if event.exit_code == 0 else f"FAILED (exit code {event.exit_code})"
        style = "passed" if event.exit_code == 0 else "failed"
        report = f"; report: {self.report_path}" if self.report_path else ""
        text = f"{verdict}: {', '.join(parts) or 'no cases'} in {event.elapsed_s:.2f} s{report}"
        return self._paint(text, style)

    def close(self) -> None:
        self._view.clear()
        self._end_progress()
        self.stream.flush()


def _warned(case: CaseFinished) -> bool:
    """A passed case carrying a warning (the property phase's severity below failure)."""
    return case.outcome == "passed" and case.kind == WARNING_KIND


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
