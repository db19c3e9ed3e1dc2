"""The series the gate measures for the reports that draw them: request latencies and the batch scaling curve.

The phases build `Measurement` events here, and the HTML report reads the same names and note labels back, so the
two agree on what a note means. Nothing here does I/O.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from .model import Measurement

LATENCY = "latency"
BATCH_SCALING = "batch_scaling"
# The notes of `batch_scaling` that describe its linear extrapolation (ms = intercept + slope * items) and the
# factor above it at which the latency check fails; a reporter draws the line when both are present.
INTERCEPT_NOTE = "extrapolation: ms at 0 items"
SLOPE_NOTE = "extrapolation: ms per item"
FACTOR_NOTE = "fails above the extrapolation times"
BUDGET_NOTE = "latency budget (ms)"
# The note of a `latency` series from the property phase saying how many examples each tier sent.
TIER_NOTE = "{tier} examples"


class Timings:
    """Every response's latency in the order the requests were sent; the phases take their share in turn."""

    def __init__(self) -> None:
        self._ms: List[float] = []
        self._taken = 0

    def add(self, elapsed_ms: float) -> None:
        self._ms.append(elapsed_ms)

    def take(self) -> Tuple[Tuple[float, float], ...]:
        """The latencies added since the last take, as (index of the request in the run, ms)."""
        start, self._taken = self._taken, len(self._ms)
        return tuple((float(index + 1), ms) for index, ms in enumerate(self._ms[start:], start))


def latency(
    points: Sequence[Tuple[float, float]], phase: str, notes: Iterable[Tuple[str, str]] = ()
) -> Optional[Measurement]:
    """The latency of every request a phase sent (None when it sent none)."""
    if not points:
        return None
    return Measurement(
        LATENCY,
        "Request latency",
        "request (in the order sent)",
        "latency (ms)",
        tuple(points),
        (("requests sent by the " + phase, str(len(points))), *notes),
    )


def batch_scaling(
    curve: Iterable[Tuple[int, float]],
    intercept_ms: float,
    slope_ms: float,
    factor: float,
    budget_ms: Optional[float],
) -> Optional[Measurement]:
    """The fastest latency seen per batch size, with the linear extrapolation the latency check judges by."""
    points = tuple(sorted((float(items), ms) for items, ms in curve))
    if not points:
        return None
    notes = [
        (INTERCEPT_NOTE, f"{intercept_ms:.3f}"),
        (SLOPE_NOTE, f"{slope_ms:.4f}"),
        (FACTOR_NOTE, f"{factor:g}"),
    ]
    if budget_ms is not None:
        notes.append((BUDGET_NOTE, f"{budget_ms:g}"))
    return Measurement(
        BATCH_SCALING,
        "Batch scaling: fastest latency per batch size",
        "batch items",
        "latency (ms)",
        points,
        tuple(notes),
    )


def note_number(measurement: Measurement, label: str) -> Optional[float]:
    """A note's value as a number, or None when the note is absent or not a number."""
    for key, value in measurement.notes:
        if key == label:
            try:
                return float(value)
            except ValueError:
                return None
    return None
