"""Whether a memory series grows steadily with the requests served, robust to one-off steps.

A leak adds memory on (nearly) every request, so it is still growing at the end of the run; a cache filled at
first use, or the allocator keeping the high-water mark of a 1 MB request, adds it once or a few times. So:

1. the warm-up (the first 10% of the requests, at least 20) is left out: imports and caches filled at first use;
2. the rest is cut into `windows` equal spans of requests, each represented by its *minimum* RSS (transient
   allocations of a large request are gone by the next quiet moment; what stays is what was kept);
3. only the later half of the windows is judged: early on, a leak can stay flat for a while because it first
   refills the heap a large request freed (the batch ladder comes early in the property phase), and first-use
   growth happens early too;
4. the growth is the Theil-Sen slope of those window minima (the median of the pairwise slopes, so one step
   does not carry it), and it counts as sustained only when the minimum rises between most consecutive
   windows (3 of 4) by at least half of what the threshold allows over a window.

Growth fails only when both hold: the slope is above the threshold, and the growth is sustained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median
from typing import List, Literal, Sequence, Tuple

KB = 1000  # the threshold's unit is a kilobyte of 1000 bytes, as `ps` and the docs count
DEFAULT_MIN_REQUESTS = 200
WINDOWS = 10
WARMUP_SHARE = 0.1
WARMUP_MIN = 20
# Consecutive late windows whose minimum must rise: a cache filled once, or a high-water step, rises in one.
RISING_SHARE = 0.75
RISE_SHARE = 0.5  # of the threshold's growth over one window, for a rise to count

Verdict = Literal["grows", "flat", "too_few"]


@dataclass(frozen=True)
class Window:
    first: int  # requests served at the window's start and end
    last: int
    low: int  # the smallest RSS sampled in it, bytes


@dataclass(frozen=True)
class Growth:
    verdict: Verdict
    slope: float  # bytes per request (Theil-Sen over the later windows' minima); 0 when too few requests
    rising: int  # consecutive later windows whose minimum rose by a counted step
    steps: int  # consecutive later window pairs
    windows: Tuple[Window, ...]
    judged: int  # requests after the warm-up
    warmup: int  # requests left out at the start

    @property
    def kb_per_request(self) -> float:
        return self.slope / KB


def theil_sen(points: Sequence[Tuple[float, float]]) -> float:
    """The median of the slopes between every two points with distinct x (0 when there is none)."""
    slopes = [
        (y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1 :] if x2 != x1
    ]
    return median(slopes) if slopes else 0.0


def windows_of(points: Sequence[Tuple[int, int]], start: int, end: int, count: int) -> List[Window]:
    """`count` equal spans of requests from `start` to `end`, each with its lowest sample (empty spans dropped)."""
    width = (end - start) / count
    found: List[Window] = []
    for index in range(count):
        first = start + width * index
        last = end if index == count - 1 else start + width * (index + 1)
        inside = [rss for x, rss in points if first <= x < last or (index == count - 1 and x == end)]
        if inside:
            found.append(Window(math.ceil(first), math.floor(last), min(inside)))
    return found


def judge_growth(
    points: Sequence[Tuple[int, int]],
    max_bytes_per_request: float,
    min_requests: int = DEFAULT_MIN_REQUESTS,
    windows: int = WINDOWS,
) -> Growth:
    """Judge one series of (requests served, RSS bytes), sorted by requests."""
    if not points:
        return Growth("too_few", 0.0, 0, 0, (), 0, 0)
    first, last = points[0][0], points[-1][0]
    warmup = max(WARMUP_MIN, math.ceil((last - first) * WARMUP_SHARE))
    start = first + warmup
    judged = max(0, last - start)
    found = windows_of([p for p in points if p[0] >= start], start, last, windows) if judged else []
    if judged < min_requests or len(found) < max(3, windows - 1):
        return Growth("too_few", 0.0, 0, 0, tuple(found), judged, warmup)
    late = found[len(found) // 2 :]
    slope = theil_sen([((w.first + w.last) / 2, float(w.low)) for w in late])
    step = RISE_SHARE * max_bytes_per_request * judged / windows
    rising = sum(1 for a, b in zip(late, late[1:]) if b.low - a.low >= step)
    steps = len(late) - 1
    sustained = rising >= math.ceil(RISING_SHARE * steps)
    verdict: Verdict = "grows" if slope > max_bytes_per_request and sustained else "flat"
    return Growth(verdict, slope, rising, steps, tuple(found), judged, warmup)


def span_needed(min_requests: int = DEFAULT_MIN_REQUESTS) -> int:
    """The fewest requests a series must span for `min_requests` of them to be judged after the warm-up."""
    return max(min_requests + WARMUP_MIN, math.ceil(min_requests / (1 - WARMUP_SHARE)) + 1)
