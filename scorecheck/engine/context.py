"""What the phases of a run share: the settings, the cases, the client, the server, and why the run halted.

The runner creates one `RunContext` and hands it to each phase in turn (replay, then properties); a phase that
finds the server dead records a `Halt` so that later phases report their cases as not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Literal, Optional, Sequence

from ..config import RunConfig
from ..model import (
    Case,
    CaseFinished,
    Event,
    Mismatch,
    Observation,
    PropertyProgress,
    ServerDied,
    Suite,
)
from ..serverproc.client import Client
from ..serverproc.process import ServerProcess
from ..serverproc.rss import RssSampler

LOG_TAIL = 200  # server lines attached to a ServerDied event
# Called with every observed response; True means the expectation will be rewritten from it (--update,
# record), so a mismatch no longer fails the case.
Observer = Callable[[Case, Observation, Sequence[Mismatch]], bool]
# Told how far the property phase has got while it runs, a few times a second (the console draws it).
ProgressListener = Callable[[PropertyProgress], None]


@dataclass(frozen=True)
class Halt:
    """Why the remaining cases are not run, and how they are reported."""

    outcome: Literal["skipped", "error"]
    kind: str
    message: str

    def case(self, name: str, suite: Suite = "replay", group: str = "fixtures") -> CaseFinished:
        """A case that was not run because of this halt."""
        return CaseFinished(suite, group, name, self.outcome, 0.0, message=self.message, kind=self.kind)


@dataclass
class RunContext:
    """What every phase shares."""

    config: RunConfig
    cases: Sequence[Case]
    client: Client
    server: Optional[ServerProcess]
    observer: Optional[Observer] = None
    halted: Optional[Halt] = None
    ready_s: Optional[float] = None  # seconds from launching the server to its first answer
    memory: Optional[RssSampler] = None  # the workers' memory, sampled after every request (phases/memory.py)
    selected: Optional[Sequence[Case]] = None  # with --shard: the cases of every shard (None: `cases`)
    progress: Optional[ProgressListener] = None

    @property
    def selected_cases(self) -> Sequence[Case]:
        """What the property phase learns from: every selected case, so that all shards search alike."""
        return self.cases if self.selected is None else self.selected


Phase = Callable[[RunContext], Iterator[Event]]


def server_died(ctx: RunContext, code: Optional[int]) -> Iterator[Event]:
    """Report the server's exit with the tail of its log, and halt the rest of the run."""
    message = f"the server exited unexpectedly with code {code}"
    lines = ctx.server.log_lines if ctx.server is not None else ()
    ctx.halted = Halt("error", "ServerError", f"not run: {message}")
    yield ServerDied(message=message, log="\n".join(lines[-LOG_TAIL:]), exit_code=code)
