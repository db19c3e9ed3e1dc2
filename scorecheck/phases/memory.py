"""The memory growth check: does the worker's memory grow with every request, the way a leak does?

`watch_memory` runs before the replay: it attaches an `RssSampler` to the client, which samples the workers'
RSS after every request the replay and the property phase send (the property phase's own client shares the
hook). `memory_phase` runs last: it judges each worker's series (`growth.judge_growth`) and reports one case,
`memory_growth` in the `runtime` suite, plus a `Measurement("memory")` with the curve for the reports that
draw it. Too few requests, a remote target or a platform without RSS readings give "not checked" with the
reason: never "passed" without evidence.
"""

from __future__ import annotations

import math
import time
from typing import Iterator, List, Optional, Sequence, Tuple

from ..config import property_seed
from ..engine.context import RunContext
from ..model import CaseFinished, Event, Measurement, Outcome, Suite, plural
from ..serverproc.client import RequestError
from ..serverproc.rss import MB, RssSampler, Series, unavailable_reason
from .growth import DEFAULT_MIN_REQUESTS, KB, RISING_SHARE, Growth, judge_growth, span_needed
from .properties import score_path
from .strategies import succeeding_cases

SUITE: Suite = "runtime"
GROUP = "memory"
NAME = "memory_growth"
KIND = "MemoryGrowth"
MAX_POINTS = 400  # points of the curve kept for the reports
# When the property phase sent too few requests to judge (a short search, many refused examples), the fixtures
# that succeed are sent again, round-robin, for at most this long. A replay-only run (--no-properties) asked for
# speed: it gets no top-up.
TOP_UP_S = 15.0
FIX = (
    "run() keeps something on every request: a module-level list or dict that is appended to, a cache "
    "without a bound (functools.lru_cache(maxsize=None)), objects registered and never released. Compare two "
    "tracemalloc snapshots taken a few hundred requests apart to find the line that allocates."
)


def watch_memory(ctx: RunContext) -> Iterator[Event]:
    """Start sampling the workers' memory after every request (a phase that reports nothing itself)."""
    if ctx.config.command == "run" and ctx.config.memory_check and ctx.server is not None:
        pid = ctx.server.pid
        if pid is not None and unavailable_reason() is None:
            ctx.memory = RssSampler(pid)
            ctx.client.on_sent = ctx.memory.sample
    return iter(())


def memory_phase(ctx: RunContext) -> Iterator[Event]:
    """One `memory_growth` case (and the curve), judged on the samples taken during the run."""
    config = ctx.config
    if config.command != "run" or not config.memory_check:
        return
    reason = _not_measured(ctx)
    if reason is not None:
        yield _case("skipped", f"not checked: {reason}")
        return
    assert ctx.memory is not None
    topped = _top_up(ctx, ctx.memory)
    ctx.client.on_sent = None
    limit = config.max_memory_growth * KB
    judged = [(series, judge_growth(series.points, limit)) for series in ctx.memory.all_series()]
    shown = _shown(judged)
    if shown is None:
        yield _case("skipped", f"not checked: no RSS reading was taken ({ctx.memory.sent} requests sent)")
        return
    series, growth = shown
    # The verdict first: the console's one-line summary of the curve then follows the progress line.
    yield _verdict(series, growth, config.max_memory_growth, ctx.memory.sent, topped)
    yield _measurement(series, growth, config.max_memory_growth, topped)


def _not_measured(ctx: RunContext) -> Optional[str]:
    if ctx.server is None:
        return "remote target (the memory of a server scorecheck did not start cannot be read)"
    if ctx.memory is None:
        return unavailable_reason() or "the server's process id is unknown"
    if ctx.halted is not None and ctx.halted.outcome == "error":
        return "the server exited during the run"
    return None


def _top_up(ctx: RunContext, sampler: RssSampler) -> int:
    """Send the succeeding fixtures again until a series spans enough requests served; how many were sent.

    Only requests a client sends (the fixtures' own) and only within TOP_UP_S: a slow script is reported as
    not checked rather than holding the gate up.
    """
    spans = [s.points[-1][0] - s.points[0][0] for s in sampler.all_series() if s.points]
    # The requests sent now extend the current workers' series (the last one): a worker that crashed and was
    # replaced earlier left shorter series behind.
    missing = 0 if max(spans, default=0) >= span_needed() else span_needed() - (spans[-1] if spans else 0)
    requests = [case.request for case in succeeding_cases(ctx.cases, score_path(ctx.cases))]
    if missing <= 0 or not requests or ctx.halted is not None or property_seed(ctx.config) is None:
        return 0
    deadline = time.monotonic() + TOP_UP_S
    goal = sampler.served + missing
    sent = 0
    # Only the workers' memory is judged: waiting for each request's log lines would cost more than the request.
    with ctx.client.without_logs() as client:
        # Fixtures that no longer succeed do not count: give up once twice the requests needed were sent.
        while sampler.served < goal and sent < 2 * missing and time.monotonic() < deadline:
            try:
                client.send(requests[sent % len(requests)], timeout_s=max(0.0, deadline - time.monotonic()))
            except RequestError:
                break  # judged on what there is; a dead server is the other phases' finding
            sent += 1
    return sent


def _shown(judged: Sequence[Tuple[Series, Growth]]) -> Optional[Tuple[Series, Growth]]:
    """The series that decides: a growing one, else the one with the most requests judged."""
    if not judged:
        return None
    growing = [pair for pair in judged if pair[1].verdict == "grows"]
    return growing[0] if growing else max(judged, key=lambda pair: (pair[1].judged, len(pair[0].points)))


def _case(outcome: Outcome, message: str = "", details: str = "", log: str = "") -> CaseFinished:
    kind = KIND if outcome == "failed" else ""
    return CaseFinished(
        SUITE, GROUP, NAME, outcome, 0.0, message=message, kind=kind, details=details, log=log
    )


def _verdict(series: Series, growth: Growth, limit_kb: float, sent: int, topped: int) -> CaseFinished:
    if growth.verdict == "too_few":
        message = (
            f"not checked: {growth.judged} requests served after the warm-up of {growth.warmup}, "
            f"{DEFAULT_MIN_REQUESTS} needed ({plural(sent, 'request')} sent, {topped} of them fixtures "
            f"sent again within {TOP_UP_S:g} s; only 2xx answers count)"
        )
        return _case("skipped", message, log=_curve(series, growth, limit_kb))
    figures = (
        f"{growth.kb_per_request:.1f} kB per request over {growth.judged} requests "
        f"(limit {limit_kb:g} kB; rising in {growth.rising} of the last {growth.steps} windows)"
    )
    if growth.verdict == "grows":
        message = f"worker memory grows {figures}"
        details = "\n".join([message, "", _curve(series, growth, limit_kb), "", FIX])
        return _case("failed", message, details)
    return _case("passed", log=f"worker memory flat: {figures}\n\n{_curve(series, growth, limit_kb)}")


def _curve(series: Series, growth: Growth, limit_kb: float) -> str:
    """The curve as text: each window's lowest RSS, with its change from the previous window."""
    pids = ", ".join(str(pid) for pid in sorted(series.pids))
    lines = [
        f"worker RSS (pid {pids}) by requests served; warm-up: the first {growth.warmup} requests; "
        "each row is the lowest reading of its window:",
        "  requests       RSS (MB)   change",
    ]
    previous: Optional[int] = None
    for window in growth.windows:
        change = "" if previous is None else f"{(window.low - previous) / MB:+9.2f}"
        lines.append(f"  {window.first:>5}-{window.last:<6} {window.low / MB:10.2f}  {change}")
        previous = window.low
    first, last = series.points[0], series.points[-1]
    lines += [
        f"readings: {len(series.points)} (one after every request sent), from {first[1] / MB:.2f} MB at "
        f"{first[0]} served to {last[1] / MB:.2f} MB at {last[0]} served",
        f"fitted growth (Theil-Sen over the minima of the later {growth.steps + 1} windows): "
        f"{growth.kb_per_request:.1f} kB per request; it fails above {limit_kb:g} kB per request "
        f"(--max-memory-growth) when rising in {math.ceil(RISING_SHARE * growth.steps)} of the last "
        f"{growth.steps} windows or more",
    ]
    return "\n".join(lines)


def _measurement(series: Series, growth: Growth, limit_kb: float, topped: int) -> Measurement:
    verdict = {
        "grows": "fails: sustained growth",
        "flat": "passes",
        "too_few": "not checked: too few requests",
    }
    notes = (
        ("fitted growth", f"{growth.kb_per_request:.1f} kB/request"),
        ("threshold", f"{limit_kb:g} kB/request"),
        ("verdict", verdict[growth.verdict]),
        ("requests judged", f"{growth.judged} after a warm-up of {growth.warmup}"),
        ("windows rising", f"{growth.rising} of the last {growth.steps}"),
        ("workers", ", ".join(str(pid) for pid in sorted(series.pids))),
        ("fixtures sent again", f"{topped} (to reach the requests needed)"),
    )
    return Measurement(
        name="memory",
        title="Worker memory over requests served",
        x_label="requests served",
        y_label="RSS (MB)",
        points=tuple((float(x), round(rss / MB, 3)) for x, rss in _thinned(series.points)),
        notes=notes,
    )


def _thinned(points: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """At most MAX_POINTS readings, evenly spread, the last one kept."""
    if len(points) <= MAX_POINTS:
        return list(points)
    step = len(points) / MAX_POINTS
    kept = [points[int(index * step)] for index in range(MAX_POINTS - 1)]
    return [*kept, points[-1]]
