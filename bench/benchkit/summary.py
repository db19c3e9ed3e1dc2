"""One line per script kind: throughput, p99 and CPU per request of both servers, and for the kinds whose input
inference-schema converts, each server's own overhead per request: CPU per request minus the conversion and
run(), two ways.

* Isolated: the conversion and run() measured by bench/conversion.py in that server's venv, in a bare
  interpreter, right before and after each of that server's runs (the issue's definition).
* In the server: the same call timed inside the serving worker by the probe (benchkit/split.py), in the same
  run as the CPU per request; there it runs with caches the server's own code shares.

Each overhead ratio is the median over rounds of that round's ours/reference ratio, so that drift between
rounds (the machine's speed moves by more than the overheads on a shared host) cancels within a pair.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from benchkit.measure import ServerResult
from benchkit.procs import pinned
from benchkit.servers import OURS, REFERENCE

CONVERSION_CALLS = 1500


@dataclass(frozen=True)
class Overhead:
    """A server's own overhead per request with one measure of the conversion: medians over rounds."""

    ref_run_us: float | None
    ours_run_us: float | None
    ref_us: float | None
    ours_us: float | None
    ratio: float | None


@dataclass(frozen=True)
class KindLine:
    kind: str
    connections: int
    ref_rps: float | None
    ours_rps: float | None
    rps_ratio: float | None
    p99_ratio: float | None
    ref_cpu_us: float | None
    ours_cpu_us: float | None
    isolated: Overhead | None = None
    in_server: Overhead | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def conversion_us(python: Path, script: Path, body: bytes, cpu: int | None) -> float | None:
    """CPU µs per decorated run() call in ``python``'s venv (None when it could not be measured)."""
    code = Path(__file__).resolve().parent.parent / "conversion.py"
    cmd = pinned([str(python), str(code), str(script), body.decode(), str(CONVERSION_CALLS)], cpu)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    try:
        return float(json.loads(out.stdout.strip().splitlines()[-1])["cpu_us_per_call"])
    except (ValueError, IndexError, KeyError):
        print(f"conversion could not be measured with {python}: {out.stderr.strip()[-300:]}")
        return None


def _paired(ours: list[float], ref: list[float]) -> float | None:
    pairs = [a / b for a, b in zip(ours, ref) if b]
    return statistics.median(pairs) if pairs and len(ours) == len(ref) else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _overhead(cpu: list[list[float]], runs: list[list[float | None]]) -> Overhead | None:
    """Per round: CPU per request minus run() for each server, then their ratio; None without run() figures."""
    if not runs[0] or not runs[1]:
        return None
    rounds = [
        (c_ref - r_ref, c_ours - r_ours)
        for c_ref, c_ours, r_ref, r_ours in zip(cpu[0], cpu[1], runs[0], runs[1])
        if r_ref is not None and r_ours is not None
    ]
    if not rounds:
        return None
    present = [[r for r in side if r is not None] for side in runs]
    return Overhead(
        _median(present[0]),
        _median(present[1]),
        _median([ref for ref, _ in rounds]),
        _median([ours for _, ours in rounds]),
        _median([ours / ref for ref, ours in rounds if ref > 0]),
    )


def kind_line(kind: str, results: dict[str, ServerResult], conns: int) -> KindLine:
    ref, ours = results.get(REFERENCE), results.get(OURS)
    pair = (ref, ours)
    rps = [[w.rps for w in r.loads.get(conns, [])] if r else [] for r in pair]
    p99 = [[w.lat_p99_us for w in r.loads.get(conns, [])] if r else [] for r in pair]
    cpu = [list(r.cpu_us_per_req.get(conns, [])) if r else [] for r in pair]
    return KindLine(
        kind,
        conns,
        _median(rps[0]),
        _median(rps[1]),
        _paired(rps[1], rps[0]),
        _paired(p99[1], p99[0]),
        _median(cpu[0]),
        _median(cpu[1]),
        _overhead(cpu, [list(r.isolated_run_us) if r else [] for r in pair]),
        _overhead(cpu, [list(r.in_server_run_us) if r else [] for r in pair]),
    )


def _fmt(value: float | None, digits: int = 0, suffix: str = "") -> str:
    return "-" if value is None else f"{value:,.{digits}f}{suffix}"


def _pair(first: float | None, second: float | None) -> str:
    return "-" if first is None and second is None else f"{_fmt(first)}, {_fmt(second)}"


def _overhead_cells(o: Overhead | None) -> list[str]:
    if o is None:
        return ["-", "-", "-"]
    return [_pair(o.ref_run_us, o.ours_run_us), _pair(o.ref_us, o.ours_us), _fmt(o.ratio, 2, "x")]


def format_summary(lines: list[KindLine]) -> str:
    header = [
        "kind",
        "c",
        "ref req/s",
        "ours req/s",
        "ours/ref",
        "p99 ours/ref",
        "ref CPU/req us",
        "ours CPU/req us",
        "conversion+run isolated us (ref, ours)",
        "overhead us (ref, ours)",
        "overhead ours/ref",
        "conversion+run in server us (ref, ours)",
        "overhead us (ref, ours)",
        "overhead ours/ref",
    ]
    body = [
        [
            k.kind,
            str(k.connections),
            _fmt(k.ref_rps),
            _fmt(k.ours_rps),
            _fmt(k.rps_ratio, 2, "x"),
            _fmt(k.p99_ratio, 2, "x"),
            _fmt(k.ref_cpu_us),
            _fmt(k.ours_cpu_us),
            *_overhead_cells(k.isolated),
            *_overhead_cells(k.in_server),
        ]
        for k in lines
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    rows = [
        "  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row))
        for row in [header, *body]
    ]
    rows.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(row.rstrip() for row in rows)
