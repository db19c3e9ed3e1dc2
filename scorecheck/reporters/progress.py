"""Drawing the property phase's live progress on the console, and its per-tier summary line.

On a terminal, one line rewrites itself (`\\r`) and is blanked out before the next normal line; in a CI log, where
`\\r` piles up into one endless line, a plain line every few seconds instead, and none for a phase shorter than
that. The figures are the same in both: examples sent per tier, failing checks, time left of --max-time.
"""

from __future__ import annotations

import shutil
import time
from typing import Callable, Optional, TextIO

from ..model import PropertyProgress, PropertySummary, plural

PLAIN_INTERVAL_S = 5.0  # between two plain lines in a log
BAR_WIDTH = 10
Clock = Callable[[], float]


def fraction_done(value: PropertyProgress) -> float:
    """Time used of --max-time or examples sent of those planned, whichever is nearer its end."""
    used = 1.0 - value.time_left_s / value.max_time_s if value.max_time_s > 0 else 1.0
    sent = value.total / value.planned_examples if value.planned_examples > 0 else 0.0
    return min(1.0, max(used, sent, 0.0))


def figures(value: PropertyProgress) -> str:
    """`near 312 · schema 40 · hostile 88 · 1 failure · 7 s left`"""
    tiers = [f"{tier} {count}" for tier, count in value.examples]
    return " · ".join([*tiers, plural(value.failures, "failure"), f"{value.time_left_s:.0f} s left"])


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(fraction * width)
    head = ">" if 0 < filled < width else ""
    return "[" + "=" * (filled - len(head)) + head + " " * (width - filled) + "]"


def live_text(value: PropertyProgress) -> str:
    """`[=====>    ]  48%  near 312 · schema 40 · hostile 88 · 1 failure · 7 s left`: 80 columns suffice."""
    done = fraction_done(value)
    return f"{bar(done)} {done * 100:3.0f}%  {figures(value)}"


def plain_text(value: PropertyProgress) -> str:
    return f"property phase: {fraction_done(value) * 100:.0f}% · {figures(value)}"


def summary_text(summary: PropertySummary) -> str:
    """`property phase: 440 examples (near 312, schema 40, hostile 88) in 12.3 s`"""
    tiers = ", ".join(f"{tier} {count}" for tier, count in summary.examples)
    return f"property phase: {plural(summary.total, 'example')} ({tiers}) in {summary.elapsed_s:.1f} s"


class ProgressView:
    """The progress of one console stream. `live` draws the self-rewriting line (a terminal); otherwise plain
    lines every `interval_s`. `clear()` must be called before anything else is written to the stream."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        interval_s: float = PLAIN_INTERVAL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.stream = stream
        self.live = live
        self.interval_s = interval_s
        self.clock = clock
        self._drawn = 0  # characters of the live line on screen
        self._next_plain: Optional[float] = None

    def show(self, value: PropertyProgress) -> None:
        if self.live:
            self._draw(live_text(value))
        else:
            self._plain(value)

    def _draw(self, text: str) -> None:
        # A line longer than the terminal wraps, and `\r` then rewrites only its last row.
        text = text[: max(shutil.get_terminal_size().columns - 1, 20)]
        self.stream.write("\r" + text.ljust(self._drawn))
        self._drawn = len(text)
        self.stream.flush()

    def _plain(self, value: PropertyProgress) -> None:
        now = self.clock()
        if self._next_plain is None:  # the phase's first figures: the first line comes one interval later
            self._next_plain = now + self.interval_s
        if value.final or now < self._next_plain:
            return  # the summary line follows the final figures
        self._next_plain = now + self.interval_s
        self.stream.write(plain_text(value) + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Blank out the live line, leaving the cursor at the start of the empty line."""
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0
