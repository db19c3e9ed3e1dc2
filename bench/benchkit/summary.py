"""One line per script kind: throughput, p99 and CPU per request of both servers, and for the kinds whose input
inference-schema converts, each server's own overhead per request (CPU per request minus the conversion and
run(), measured in isolation by bench/conversion.py in that server's venv)."""

from __future__ import annotations

import json
import statistics
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from benchkit.measure import ServerResult
from benchkit.procs import pinned
from benchkit.servers import OURS, REFERENCE

CONVERSION_CALLS = 2000


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
    ref_conversion_us: float | None = None
    ours_conversion_us: float | None = None

    @property
    def ref_overhead_us(self) -> float | None:
        return _minus(self.ref_cpu_us, self.ref_conversion_us)

    @property
    def ours_overhead_us(self) -> float | None:
        return _minus(self.ours_cpu_us, self.ours_conversion_us)

    @property
    def overhead_ratio(self) -> float | None:
        ours, ref = self.ours_overhead_us, self.ref_overhead_us
        return ours / ref if ours is not None and ref else None

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "ref_overhead_us": self.ref_overhead_us,
            "ours_overhead_us": self.ours_overhead_us,
            "overhead_ratio": self.overhead_ratio,
        }


def _minus(total: float | None, part: float | None) -> float | None:
    return total - part if total is not None and part is not None else None


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


def kind_line(
    kind: str, results: dict[str, ServerResult], conns: int, conversions: tuple[float | None, float | None]
) -> KindLine:
    ref, ours = results.get(REFERENCE), results.get(OURS)
    rps = [[w.rps for w in r.loads.get(conns, [])] if r else [] for r in (ref, ours)]
    p99 = [[w.lat_p99_us for w in r.loads.get(conns, [])] if r else [] for r in (ref, ours)]
    cpu = [list(r.cpu_us_per_req.get(conns, [])) if r else [] for r in (ref, ours)]
    return KindLine(
        kind,
        conns,
        _median(rps[0]),
        _median(rps[1]),
        _paired(rps[1], rps[0]),
        _paired(p99[1], p99[0]),
        _median(cpu[0]),
        _median(cpu[1]),
        conversions[0],
        conversions[1],
    )


def _fmt(value: float | None, digits: int = 0, suffix: str = "") -> str:
    return "-" if value is None else f"{value:,.{digits}f}{suffix}"


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
        "conversion+run us (ref, ours)",
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
            f"{_fmt(k.ref_conversion_us)}, {_fmt(k.ours_conversion_us)}" if k.ref_conversion_us else "-",
            f"{_fmt(k.ref_overhead_us)}, {_fmt(k.ours_overhead_us)}" if k.ref_overhead_us else "-",
            _fmt(k.overhead_ratio, 2, "x"),
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
