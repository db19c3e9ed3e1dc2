"""`--html PATH`: the run as one self-contained web page, for the people who review a failed gate in CI.

The reporter only collects events; `html_page` lays the page out and `html_plots` draws the measurements. The
file is written once, atomically, on `close()`, also after an interrupted run (the page then says so).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from ..model import (
    CaseFinished,
    Event,
    Measurement,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)
from .html_page import RunRecord, render
from .junit import write_atomically


class HtmlReporter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.record = RunRecord()
        self._closed = False

    def handle(self, event: Event) -> None:
        record = self.record
        if isinstance(event, RunStarted):
            record.started = event
        elif isinstance(event, (ServerStarted, ServerFailed)):
            record.server = event
        elif isinstance(event, ServerDied):
            record.died = event
        elif isinstance(event, CaseFinished):
            record.cases.append(event)
        elif isinstance(event, Measurement):
            record.measurements.append(event)
        elif isinstance(event, RunFinished):
            record.finished = event

    def close(self, reason: Optional[str] = None) -> None:
        """Write the page; without a RunFinished the run was cut short and `reason` says why, if known."""
        if self._closed:
            return
        self._closed = True
        self.record.written = time.time()
        if self.record.finished is None:
            self.record.interrupted = reason or "the run stopped before it finished"
        write_atomically(self.path, render(self.record))
