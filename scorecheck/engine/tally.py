"""What the reporters have been told so far: the run's outcome, and enough to end the stream after an abort."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence, Set

from ..config import RunConfig
from ..model import (
    CRASH_KIND,
    Case,
    CaseFinished,
    Event,
    RunOutcome,
    RunStarted,
    ServerDied,
    ServerFailed,
    plural,
)
from .context import Halt
from .events import run_started


class Tally:
    """Counts the events of one run; `outcome()` is the run's verdict, which the CLI maps to an exit code."""

    def __init__(self, config: RunConfig, cases: Sequence[Case]) -> None:
        self.config = config
        self.cases = cases
        self.started = False
        self.done: Set[str] = set()
        self.failed = False
        self.server_broken = False
        self.aborted: Optional[RunOutcome] = None

    def record(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.started = True
        elif isinstance(event, CaseFinished):
            self.done.add(event.name)
            self.failed = self.failed or event.outcome in ("failed", "error")
            self.server_broken = self.server_broken or event.kind == CRASH_KIND
        elif isinstance(event, (ServerFailed, ServerDied)):
            self.server_broken = True

    def recorded(self, events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            self.record(event)
            yield event

    def abort(self, outcome: RunOutcome, reason: str, kind: str, name: str, details: str) -> Iterator[Event]:
        """Close the stream after an interruption: unfinished cases are skipped, and one error case says why."""
        self.aborted = outcome
        finished = len(self.done & {case.name for case in self.cases})
        if not self.started:
            yield run_started(self.config, self.cases, self.config.target or "", "")
        halt = Halt("skipped", "", f"not run: {reason}")
        yield from (halt.case(case.name) for case in self.cases if case.name not in self.done)
        progress = f"{finished} of {plural(len(self.cases), 'case')} had finished"
        details = f"{reason}; {progress}; the server was stopped.\n{details}".rstrip("\n")
        yield CaseFinished(
            "replay", "harness", name, "error", 0.0, message=reason, kind=kind, details=details
        )

    def outcome(self) -> RunOutcome:
        if self.aborted is not None:
            return self.aborted
        if self.server_broken:
            return "server_failed"
        return "failed" if self.failed else "passed"
