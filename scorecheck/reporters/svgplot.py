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
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 28, 52
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
    x0: float
    x1: float
    y0: float
    y1: float

    def px(self, x: float) -> float:
        return LEFT + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def holds(self, marker: Marker) -> bool:
        low, high = (self.x0, self.x1) if marker.axis == "x" else (self.y0, self.y1)
        return low <= marker.value <= high

    def py(self, y: float) -> float:
        return HEIGHT - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)


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


def _span(values: Sequence[float], from_zero: bool) -> Tuple[float, float]:
    low, high = min(values), max(values)
    if from_zero and low >= 0:
        low = 0.0
    if high - low < 1e-12:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    return low, high


def _frame(lines: Sequence[Line]) -> _Frame:
    """Axes that show every point of the lines that scale (markers and other lines are clipped)."""
    shown = [line for line in lines if line.scales] or lines
    xs = [x for line in shown for x, _ in line.points]
    ys = [y for line in shown for _, y in line.points]
    x_ticks = nice_ticks(*_span(xs, from_zero=False))
    y_ticks = nice_ticks(*_span(ys, from_zero=True))
    return _Frame(x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1])


def _axes(frame: _Frame, x_label: str, y_label: str) -> List[str]:
    parts = []
    bottom, left = HEIGHT - BOTTOM, LEFT
    for tick in nice_ticks(frame.x0, frame.x1):
        x = frame.px(tick)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{number(tick)}</text>'
        )
    for tick in nice_ticks(frame.y0, frame.y1):
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
    for row, line in enumerate(lines):
        y = TOP + 4 + row * 16
        x = LEFT + 10
        parts.append(f'<line class="{line.style}" x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}"/>')
        parts.append(f'<text class="legend" x="{x + 28}" y="{y + 4}">{text(line.label)}</text>')
    return parts


def _finite(line: Line) -> Line:
    points = [(x, y) for x, y in line.points if math.isfinite(x) and math.isfinite(y)]
    return Line(points, line.label, line.style, line.dots, line.scales)


def plot(
    ident: str,
    title: str,
    x_label: str,
    y_label: str,
    *,
    lines: Sequence[Line],
    markers: Sequence[Marker] = (),
) -> str:
    """One `<svg>` element (HTML5 inline SVG, no namespace needed); an empty string when no line has a
    finite point."""
    lines = [_finite(line) for line in lines]
    lines = [line for line in lines if line.points]
    if not lines:
        return ""
    frame = _frame(lines)
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
