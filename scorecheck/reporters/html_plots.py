"""Measurements as figures of the HTML report: the latency distribution, the batch scaling curve with its linear
extrapolation, and any other series as a plain line plot of its points, each with its notes beside it."""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

from ..measurements import (
    BATCH_SCALING,
    BUDGET_NOTE,
    FACTOR_NOTE,
    INTERCEPT_NOTE,
    LATENCY,
    SLOPE_NOTE,
    note_number,
)
from ..model import Measurement
from .markup import text
from .svgplot import Line, Marker, number, plot

PERCENTILES = (50, 95, 99)
EXTRAPOLATION_STEPS = 24
DISTRIBUTION_X = "share of requests answered within the time (%)"


def merge(measurements: Sequence[Measurement]) -> List[Measurement]:
    """One measurement per name, in the order first seen: a series reported by several phases is one series."""
    merged: List[Measurement] = []
    for item in measurements:
        index = next((i for i, m in enumerate(merged) if m.name == item.name), None)
        if index is None:
            merged.append(item)
        else:
            first = merged[index]
            merged[index] = Measurement(
                first.name,
                first.title,
                first.x_label,
                first.y_label,
                first.points + item.points,
                first.notes + item.notes,
            )
    return merged


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..100) of values sorted ascending."""
    rank = max(1, math.ceil(share / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def figure(measurement: Measurement) -> str:
    """The measurement's heading, plot (when it has points) and notes."""
    if measurement.name == LATENCY:
        svg, extra = _latency(measurement)
    elif measurement.name == BATCH_SCALING:
        svg, extra = _scaling(measurement), []
    else:
        svg, extra = _generic(measurement), []
    notes = [*extra, *measurement.notes]
    anchor = text(f"m-{measurement.name}")
    return (
        f'<figure class="measurement" id="{anchor}"><figcaption>{text(measurement.title)}</figcaption>'
        + (svg or '<p class="muted">no points were measured</p>' if measurement.points else "")
        + _notes(notes)
        + "</figure>"
    )


def _notes(notes: Sequence[Tuple[str, str]]) -> str:
    if not notes:
        return ""
    rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in notes)
    return f'<table class="notes">{rows}</table>'


def _generic(measurement: Measurement) -> str:
    line = Line(measurement.points, measurement.title)
    return _draw(measurement, [line])


def _draw(measurement: Measurement, lines: Sequence[Line], markers: Sequence[Marker] = ()) -> str:
    return plot(
        measurement.name,
        measurement.title,
        measurement.x_label,
        measurement.y_label,
        lines=lines,
        markers=markers,
    )


def _latency(measurement: Measurement) -> Tuple[str, List[Tuple[str, str]]]:
    """A sorted-latency curve: the share of requests answered within a time, with p50, p95 and p99 marked."""
    values = sorted(y for _, y in measurement.points if math.isfinite(y))
    if not values:
        return "", []
    count = len(values)
    curve = [((index + 1) / count * 100, value) for index, value in enumerate(values)]
    marks = [(share, percentile(values, share)) for share in PERCENTILES]
    markers = [Marker("x", share, f"p{share} {number(value)} ms") for share, value in marks]
    line = Line(curve, f"{count} requests, sorted by latency", dots=count <= 200)
    # Latencies span decades (a 2 ms answer, a 300 ms first request): a logarithmic axis shows them all.
    svg = plot(
        measurement.name,
        measurement.title,
        DISTRIBUTION_X,
        f"{measurement.y_label}, log scale",
        lines=[line],
        markers=markers,
        log_y=True,
    )
    stats = [(f"p{share} (ms)", f"{value:.1f}") for share, value in marks]
    stats += [("max (ms)", f"{values[-1]:.1f}"), ("requests", str(count))]
    return svg, stats


def _scaling(measurement: Measurement) -> str:
    """The measured curve, the linear extrapolation the latency check judges by, the point it fails at."""
    lines = [Line(measurement.points, "fastest latency measured")]
    intercept = note_number(measurement, INTERCEPT_NOTE)
    slope = note_number(measurement, SLOPE_NOTE)
    if intercept is not None and slope is not None and measurement.points:
        widest = max(x for x, _ in measurement.points)
        xs = [widest * step / EXTRAPOLATION_STEPS for step in range(EXTRAPOLATION_STEPS + 1)]
        lines.append(
            Line(
                [(x, intercept + slope * x) for x in xs],
                "linear extrapolation",
                "fit",
                dots=False,
                scales=False,
            )
        )
        factor = note_number(measurement, FACTOR_NOTE)
        if factor is not None:
            limit = [(x, factor * (intercept + slope * x)) for x in xs]
            label = f"fails above {factor:g}x the extrapolation"
            lines.append(Line(limit, label, "limit", dots=False, scales=False))
    budget = note_number(measurement, BUDGET_NOTE)
    markers = [Marker("y", budget, f"budget {number(budget)} ms")] if budget is not None else []
    return _draw(measurement, lines, markers)
