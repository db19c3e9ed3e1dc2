"""The start-up budget: how long the server took from launch to ready, and how much of it was `init()`.

A platform's readiness probe waits only so long before it restarts the container, so a model that loads
slowly takes a deployment down although every request would pass. The launch-to-ready time is the runner's
(`RunContext.ready_s`); `init()`'s own duration comes from the line the server logs after it returns
(`init() finished in 1.234 s`). With `--max-startup-s` a start-up over the budget fails `startup_time` (suite
`runtime`), showing the log lines of `init()`; without it the case passes and reports the figures.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Sequence, Tuple

from ..engine.context import RunContext
from ..model import CaseFinished, Event, Measurement, Suite

SUITE: Suite = "runtime"
GROUP = "startup"
NAME = "startup_time"
KIND = "StartupBudget"
INIT_STARTED = "Invoking user's init function"
INIT_FINISHED = re.compile(r"init\(\) finished in (\d+(?:\.\d+)?) s")
INIT_FAILED = "User's init function failed"
MAX_INIT_LINES = 200


def init_seconds(lines: Sequence[str]) -> Optional[float]:
    """init()'s duration as the server logged it; the slowest worker's when several did."""
    found = [float(match.group(1)) for line in lines for match in [INIT_FINISHED.search(line)] if match]
    return max(found) if found else None


def init_lines(lines: Sequence[str]) -> List[str]:
    """The server's lines from the first `init()` call to the last `init()` finished (what init() logged)."""
    starts = [index for index, line in enumerate(lines) if INIT_STARTED in line]
    if not starts:
        return []
    ends = [index for index, line in enumerate(lines) if INIT_FINISHED.search(line) or INIT_FAILED in line]
    end = max(ends) + 1 if ends and max(ends) > starts[0] else len(lines)
    chosen = list(lines[starts[0] : end])
    if len(chosen) > MAX_INIT_LINES:
        skipped = len(chosen) - MAX_INIT_LINES
        chosen = [*chosen[: MAX_INIT_LINES // 2], f"... {skipped} lines ...", *chosen[-MAX_INIT_LINES // 2 :]]
    return chosen


def startup_phase(ctx: RunContext) -> Iterator[Event]:
    """The `startup_time` case and the `startup` measurement (the first thing reported after the server is up)."""
    config = ctx.config
    if config.command != "run":
        return
    if ctx.server is None or ctx.ready_s is None:
        message = "not checked: remote target (its start-up happened before scorecheck reached it)"
        yield CaseFinished(SUITE, GROUP, NAME, "skipped", 0.0, message=message)
        return
    lines = ctx.server.log_lines
    init_s = init_seconds(lines)
    budget = config.max_startup_s
    yield Measurement(
        name="startup",
        title="start-up",
        x_label="",
        y_label="seconds",
        points=(),
        notes=_notes(ctx.ready_s, init_s, budget),
    )
    yield _verdict(ctx.ready_s, init_s, budget, init_lines(lines))


def _notes(ready_s: float, init_s: Optional[float], budget: Optional[float]) -> Tuple[Tuple[str, str], ...]:
    return (
        ("launch to ready", f"{ready_s:.2f} s"),
        ("init()", f"{init_s:.2f} s" if init_s is not None else "not logged by this server"),
        ("budget", f"{budget:g} s (--max-startup-s)" if budget is not None else "none (--max-startup-s)"),
    )


def _verdict(
    ready_s: float, init_s: Optional[float], budget: Optional[float], lines: Sequence[str]
) -> CaseFinished:
    figures = f"ready in {ready_s:.2f} s after launch" + (
        f", init() took {init_s:.2f} s" if init_s is not None else ""
    )
    if budget is None or ready_s <= budget:
        limit = f"; budget {budget:g} s" if budget is not None else ""
        return CaseFinished(SUITE, GROUP, NAME, "passed", ready_s, log=f"{figures}{limit}")
    message = f"start-up took {ready_s:.2f} s, over the budget of {budget:g} s (--max-startup-s)" + (
        f"; init() took {init_s:.2f} s of it" if init_s is not None else ""
    )
    details = [
        message,
        "",
        "A readiness probe that waits less than this restarts the container before it serves. Load the model "
        "faster (a smaller or memory-mapped file, lazy loading of what the first request does not need) or "
        "raise the probe's initial delay and this budget together.",
        "",
        "the server's log from init():",
        *(f"  {line}" for line in lines),
    ]
    if not lines:
        details.append("  (no init() lines in the server log)")
    return CaseFinished(
        SUITE, GROUP, NAME, "failed", ready_s, message=message, kind=KIND, details="\n".join(details)
    )
