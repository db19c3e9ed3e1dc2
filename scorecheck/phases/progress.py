"""Live progress of the property phase: the search's call after every example, thinned out for a listener.

The search calls back after each example, hundreds of times a second against a fast script; a listener (the
CLI's console) needs a few updates a second, and the final state once the search has ended. Nothing here prints.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Callable, Optional, Tuple

from ..engine.context import ProgressListener
from ..model import PropertyProgress
from .checks import TIERS

INTERVAL_S = 0.1  # at most this often to the listener, besides the final update
Clock = Callable[[], float]


class ProgressThrottle:
    """Called like the search's `Progress`; hands the listener a `PropertyProgress` at most every `interval_s`
    (the first call at once), and the final one from `finish`."""

    def __init__(
        self,
        listener: ProgressListener,
        *,
        max_time_s: float,
        planned_examples: int,
        interval_s: float = INTERVAL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.listener = listener
        self.max_time_s = max_time_s
        self.planned_examples = planned_examples
        self.interval_s = interval_s
        self.clock = clock
        self._last_sent: Optional[float] = None

    def __call__(self, counts: Counter[str], failures: int, time_left_s: float) -> None:
        now = self.clock()
        if self._last_sent is not None and now - self._last_sent < self.interval_s:
            return
        self._last_sent = now
        self.listener(self._value(counts, failures, time_left_s, final=False))

    def finish(self, counts: Counter[str], failures: int, time_left_s: float) -> None:
        self.listener(self._value(counts, failures, time_left_s, final=True))

    def _value(self, counts: Counter[str], failures: int, left: float, *, final: bool) -> PropertyProgress:
        examples: Tuple[Tuple[str, int], ...] = tuple((tier, counts[tier]) for tier in TIERS)
        return PropertyProgress(
            examples=examples,
            failures=failures,
            time_left_s=max(0.0, left),
            max_time_s=self.max_time_s,
            planned_examples=self.planned_examples,
            final=final,
        )
