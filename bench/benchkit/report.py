"""Turn server results into rows of figures, ratios and targets; print a table; write JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchkit.measure import ServerResult, median_or_none
from benchkit.servers import BARE, OURS, REFERENCE

Getter = Callable[[ServerResult], "float | None"]
Rounds = Callable[[ServerResult], "list[float]"]


@dataclass(frozen=True)
class Metric:
    """One table row: how to read it off a result, and the ratio targets for ours (None: no target)."""

    name: str
    unit: str
    higher_is_better: bool
    get: Getter
    vs_ref: float | None = None
    vs_bare: float | None = None
    digits: int = 1
    ratios: bool = True
    # Per-round values, for metrics measured once per round: their ratios are taken round by round.
    rounds: Rounds | None = None


@dataclass(frozen=True)
class Row:
    metric: str
    unit: str
    reference: float | None
    ours: float | None
    bare: float | None
    ours_ref: float | None
    ours_bare: float | None
    target: str
    met: str


def _rps_rounds(conns: int) -> Rounds:
    return lambda r: [w.rps for w in r.loads.get(conns, [])]


def _p99_rounds(conns: int) -> Rounds:
    return lambda r: [w.lat_p99_us / 1000 for w in r.loads.get(conns, [])]


def _cpu_rounds(conns: int) -> Rounds:
    return lambda r: list(r.cpu_us_per_req.get(conns, []))


def _median_of(rounds: Rounds) -> Getter:
    return lambda r: median_or_none(rounds(r))


def _errors(conns: int) -> Getter:
    return lambda r: r.load_median(conns, lambda w: float(w.error_count))


def _startup_ms(r: ServerResult) -> float | None:
    median = r.startup_median_s
    return median * 1000 if median is not None else None


def _idle_rss(r: ServerResult) -> float | None:
    return r.mem_median(r.idle, lambda m: m.rss_mb)


def _idle_pss(r: ServerResult) -> float | None:
    return r.mem_median(r.idle, lambda m: m.pss_mb)


def _load_rss(r: ServerResult) -> float | None:
    return r.mem_median(r.after_load, lambda m: m.rss_mb)


def _background_pct(r: ServerResult) -> float | None:
    return max(r.background) * 100 if r.background else None


def metrics(connections: Sequence[int]) -> list[Metric]:
    """The rows of the report: those with targets first, then figures for information."""
    rows = [
        Metric(
            f"throughput c={c}", "req/s", True, _median_of(_rps_rounds(c)), 2.0, 0.9, 0, rounds=_rps_rounds(c)
        )
        for c in connections
    ]
    rows += [
        Metric(
            f"p99 latency c={c}", "ms", False, _median_of(_p99_rounds(c)), 1.0, None, 2, rounds=_p99_rounds(c)
        )
        for c in connections
    ]
    rows += [
        Metric("launch to first 200", "ms", False, _startup_ms, 0.4, None, 0),
        Metric("idle RSS (tree)", "MB", False, _idle_rss, 0.6, None, 1),
    ]
    return rows + _info_metrics(connections)


def _info_metrics(connections: Sequence[int]) -> list[Metric]:
    rows = [
        Metric(
            f"server CPU/request c={c} (info)",
            "us",
            False,
            _median_of(_cpu_rounds(c)),
            digits=0,
            rounds=_cpu_rounds(c),
        )
        for c in connections
    ]
    rows += [
        Metric("idle PSS (tree, info)", "MB", False, _idle_pss),
        Metric("RSS after load (info)", "MB", False, _load_rss),
    ]
    rows += [
        Metric(f"wrk errors c={c} (info)", "", False, _errors(c), digits=0, ratios=False) for c in connections
    ]
    rows.append(Metric("max background CPU (info)", "%", False, _background_pct, ratios=False))
    return rows


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def _paired_ratio(m: Metric, ours: ServerResult, other: ServerResult) -> float | None:
    """Median of the round-by-round ratios: the runs of one round are adjacent in time, so a slow spell of the
    host (it comes and goes over minutes, for all servers alike) cancels out instead of landing on one server."""
    if m.rounds is None:
        return None
    pairs = [a / b for a, b in zip(m.rounds(ours), m.rounds(other)) if b]
    if not pairs or len(m.rounds(ours)) != len(m.rounds(other)):
        return None
    return statistics.median(pairs)


def _ratios(
    m: Metric, results: dict[str, ServerResult], values: tuple[float | None, ...]
) -> tuple[float | None, ...]:
    ref, ours, bare = values
    if not m.ratios:
        return None, None
    out = []
    for key, value in ((REFERENCE, ref), (BARE, bare)):
        paired = _paired_ratio(m, results[OURS], results[key]) if OURS in results and key in results else None
        out.append(paired if paired is not None else _ratio(ours, value))
    return tuple(out)


def _target_text(m: Metric) -> str:
    op = ">=" if m.higher_is_better else "<="
    parts = [f"{op}{t}x {who}" for t, who in ((m.vs_ref, "ref"), (m.vs_bare, "bare")) if t is not None]
    return ", ".join(parts) or "-"


def _passes(m: Metric, ratio: float | None, target: float) -> bool | None:
    """Whether ``ratio`` meets ``target`` (None when there is no ratio to judge)."""
    if ratio is None:
        return None
    return ratio >= target if m.higher_is_better else ratio <= target


def _met_text(m: Metric, ours_ref: float | None, ours_bare: float | None) -> str:
    checks = [
        (who, _passes(m, ratio, t))
        for t, ratio, who in ((m.vs_ref, ours_ref, "ref"), (m.vs_bare, ours_bare, "bare"))
        if t is not None
    ]
    if not checks:
        return "-"
    if any(ok is None for _, ok in checks):
        return "n/a"
    missed = [who for who, ok in checks if not ok]
    return "yes" if not missed else "NO (" + ", ".join(missed) + ")"


def build_rows(results: dict[str, ServerResult], connections: Sequence[int]) -> list[Row]:
    rows = []
    for m in metrics(connections):
        ref, ours, bare = (m.get(results[k]) if k in results else None for k in (REFERENCE, OURS, BARE))
        ours_ref, ours_bare = _ratios(m, results, (ref, ours, bare))
        rows.append(
            Row(
                f"{m.name} ({m.unit})" if m.unit else m.name,
                m.unit,
                ref,
                ours,
                bare,
                ours_ref,
                ours_bare,
                _target_text(m),
                _met_text(m, ours_ref, ours_bare),
            )
        )
    return rows


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_table(rows: list[Row], connections: Sequence[int]) -> str:
    header = ["metric", "reference", "ours", "bare flask", "ours/ref", "ours/bare", "target", "met?"]
    digits = [m.digits for m in metrics(connections)]
    body = [
        [
            r.metric,
            _fmt(r.reference, d),
            _fmt(r.ours, d),
            _fmt(r.bare, d),
            _fmt_ratio(r.ours_ref),
            _fmt_ratio(r.ours_bare),
            r.target,
            r.met,
        ]
        for r, d in zip(rows, digits)
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    align = [str.ljust] + [str.rjust] * 5 + [str.ljust] * 2
    lines = [
        "  ".join(align[i](cell, widths[i]) for i, cell in enumerate(line)).rstrip()
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], results: dict[str, ServerResult], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "meta": meta,
        "servers": {k: r.as_dict() for k, r in results.items()},
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
