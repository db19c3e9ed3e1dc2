"""Small inline SVG line plots for the HTML report: labelled axes, round ticks, lines, dots and marker lines.

The report must open without network or JavaScript, so the plots are plain SVG written here rather than by a
plotting library. Every text is escaped; the numbers are formatted compactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Literal, Sequence, Tuple

from .markup import text

WIDTH, HEIGHT = 680, 340
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 40, 52
LEGEND_Y = 18  # the legend is one row above the plot area, where it hides no point
CHAR_WIDTH = 6.2  # of the legend's 11px font, to space its entries
TICKS = 6
Point = Tuple[float, float]


@dataclass(frozen=True)
class Line:
    """A series drawn as a polyline; `style` is a CSS class of the report (data, fit, limit)."""

    points: Sequence[Point]
    label: str
    style: str = "data"
    dots: bool = True
    scales: bool = True  # whether the axes stretch to show it whole; if not, it is clipped to the plot area


@dataclass(frozen=True)
class Marker:
    """A straight line across the plot at x = value or y = value, with its label."""

    axis: Literal["x", "y"]
    value: float
    label: str


@dataclass(frozen=True)
class _Frame:
    x_ticks: Sequence[float]
    y_ticks: Sequence[float]
    log_y: bool = False

    def px(self, x: float) -> float:
        x0, x1 = self.x_ticks[0], self.x_ticks[-1]
        return LEFT + (x - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT)

    def py(self, y: float) -> float:
        scale = math.log10 if self.log_y else float
        y0, y1 = scale(self.y_ticks[0]), scale(self.y_ticks[-1])
        return HEIGHT - BOTTOM - (scale(y) - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM)

    def holds(self, marker: Marker) -> bool:
        ticks = self.x_ticks if marker.axis == "x" else self.y_ticks
        return ticks[0] <= marker.value <= ticks[-1]


def number(value: float) -> str:
    """A compact label for a tick or a point: 0.25, 12, 1.5k, 2M."""
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}" if magnitude >= 1 or value == 0 else f"{value:.2g}"


def nice_ticks(low: float, high: float, count: int = TICKS) -> List[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [low, high]."""
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 5, 10) if f * power >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(index * step, 12) for index in range(first, last + 1)]


def log_ticks(low: float, high: float) -> List[float]:
    """Ticks 1, 2, 5 times a power of ten from the last at or below `low` to the first at or above `high`."""
    ticks: List[float] = []
    for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks += [round(f * 10.0**power, 12) for f in (1, 2, 5)]
    first = max(t for t in ticks if t <= low)
    last = min(t for t in ticks if t >= high)
    return [t for t in ticks if first <= t <= last]


def _span(values: Sequence[float], from_zero: bool) -> Tuple[float, float]:
    low, high = min(values), max(values)
    if from_zero and low >= 0:
        low = 0.0
    if high - low < 1e-12:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    return low, high


def _frame(lines: Sequence[Line], log_y: bool) -> _Frame:
    """Axes that show every point of the lines that scale (markers and other lines are clipped)."""
    shown = [line for line in lines if line.scales] or lines
    xs = [x for line in shown for x, _ in line.points]
    ys = [y for line in shown for _, y in line.points]
    x_ticks = nice_ticks(*_span(xs, from_zero=False))
    if log_y:
        return _Frame(x_ticks, log_ticks(min(ys), max(ys)), log_y=True)
    return _Frame(x_ticks, nice_ticks(*_span(ys, from_zero=True)))


def _axes(frame: _Frame, x_label: str, y_label: str) -> List[str]:
    parts = []
    bottom, left = HEIGHT - BOTTOM, LEFT
    for tick in frame.x_ticks:
        x = frame.px(tick)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{number(tick)}</text>'
        )
    for tick in frame.y_ticks:
        y = frame.py(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>'
        )
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}"/>')
    middle_x, middle_y = (LEFT + WIDTH - RIGHT) / 2, (TOP + bottom) / 2
    parts.append(
        f'<text class="label x-label" x="{middle_x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
        f"{text(x_label)}</text>"
    )
    parts.append(
        f'<text class="label y-label" x="16" y="{middle_y:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle_y:.1f})">{text(y_label)}</text>'
    )
    return parts


def _line(frame: _Frame, line: Line, clip: str) -> List[str]:
    coords = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in line.points)
    parts = [
        f'<polyline class="{line.style}" clip-path="url(#{clip})" points="{coords}">'
        f"<title>{text(line.label)}</title></polyline>"
    ]
    if line.dots:
        for x, y in line.points:
            tip = text(f"{line.label}: {number(x)}, {number(y)}")
            parts.append(
                f'<circle class="{line.style}" cx="{frame.px(x):.1f}" cy="{frame.py(y):.1f}" r="3">'
                f"<title>{tip}</title></circle>"
            )
    return parts


def _marker(frame: _Frame, marker: Marker) -> List[str]:
    """A dashed line across the plot; markers outside the axes' range are left out (the notes give them)."""
    if marker.axis == "x":
        x = frame.px(marker.value)
        return [
            f'<line class="marker" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}"/>',
            f'<text class="marker-label" x="{x - 4:.1f}" y="{TOP + 4}" text-anchor="end" '
            f'transform="rotate(-90 {x - 4:.1f} {TOP + 4})">{text(marker.label)}</text>',
        ]
    y = frame.py(marker.value)
    return [
        f'<line class="marker" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>',
        f'<text class="marker-label" x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end">'
        f"{text(marker.label)}</text>",
    ]


def _legend(lines: Sequence[Line]) -> List[str]:
    parts = []
    x, y = float(LEFT), LEGEND_Y
    for line in lines:
        parts.append(f'<line class="{line.style}" x1="{x:.0f}" y1="{y}" x2="{x + 22:.0f}" y2="{y}"/>')
        parts.append(f'<text class="legend" x="{x + 28:.0f}" y="{y + 4}">{text(line.label)}</text>')
        x += 28 + len(line.label) * CHAR_WIDTH + 20
    return parts


def _drawable(line: Line, log_y: bool) -> Line:
    """The points that can be drawn: finite, and above 0 on a logarithmic axis."""
    points = [
        (x, y) for x, y in line.points if math.isfinite(x) and math.isfinite(y) and (y > 0 or not log_y)
    ]
    return Line(points, line.label, line.style, line.dots, line.scales)


def plot(
    ident: str,
    title: str,
    x_label: str,
    y_label: str,
    *,
    lines: Sequence[Line],
    markers: Sequence[Marker] = (),
    log_y: bool = False,
) -> str:
    """One `<svg>` element (HTML5 inline SVG, no namespace needed); an empty string when no line has a
    finite point."""
    lines = [_drawable(line, log_y) for line in lines]
    lines = [line for line in lines if line.points]
    if not lines:
        return ""
    frame = _frame(lines, log_y)
    clip = text(f"clip-{ident}")
    area = (
        f'<clipPath id="{clip}"><rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
        f'height="{HEIGHT - TOP - BOTTOM}"/></clipPath>'
    )
    body = [
        f"<title>{text(title)}</title>",
        area,
        *_axes(frame, x_label, y_label),
        *(part for marker in markers if frame.holds(marker) for part in _marker(frame, marker)),
        *(part for line in lines for part in _line(frame, line, clip)),
        *_legend(lines),
    ]
    return (
        f'<svg class="plot" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}">' + "".join(body) + "</svg>"
    )
