"""The HTTP load generator: wrk, pinned to its own core, POSTing a small JSON body."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchkit.procs import pinned

_MARKER = "BENCH_JSON "
INSTALL_HINT = "wrk is not installed: run `apt-get update && apt-get install -y wrk` (Debian/Ubuntu)."


class LoadGenError(RuntimeError):
    """wrk failed, timed out or printed no figures."""


@dataclass(frozen=True)
class WrkResult:
    """Figures of one wrk run (latencies in microseconds)."""

    connections: int
    requests: int
    duration_s: float
    rps: float
    lat_mean_us: float
    lat_p50_us: float
    lat_p90_us: float
    lat_p99_us: float
    lat_max_us: float
    errors: dict[str, int]

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_count": self.error_count}


def wrk_path() -> str:
    """The wrk executable, or exit with how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(INSTALL_HINT)
    return path


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10, check=False)
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "?"


def _parse(stdout: str, connections: int) -> WrkResult:
    lines = [line for line in stdout.splitlines() if line.startswith(_MARKER)]
    if not lines:
        raise LoadGenError(f"wrk printed no figures:\n{stdout}")
    raw = json.loads(lines[-1][len(_MARKER) :])
    duration_s = raw["duration_us"] / 1e6
    errors = {k.removeprefix("err_"): int(v) for k, v in raw.items() if k.startswith("err_")}
    return WrkResult(
        connections=connections,
        requests=raw["requests"],
        duration_s=duration_s,
        rps=raw["requests"] / duration_s if duration_s else 0.0,
        lat_mean_us=raw["lat_mean_us"],
        lat_p50_us=raw["lat_p50_us"],
        lat_p90_us=raw["lat_p90_us"],
        lat_p99_us=raw["lat_p99_us"],
        lat_max_us=raw["lat_max_us"],
        errors=errors,
    )


def run_wrk(
    wrk: str,
    url: str,
    lua: Path,
    *,
    connections: int,
    duration_s: int,
    cpu: int | None,
    body: bytes | None = None,
) -> WrkResult:
    """One wrk run (one thread, ``connections`` keep-alive connections) with a hard deadline; ``body`` is
    what the lua script POSTs (its own default when None)."""
    args = ["-t1", f"-c{connections}", f"-d{duration_s}s", "--timeout", "5s", "--latency", "-s", str(lua)]
    cmd = pinned([wrk, *args, url], cpu)
    env = {**os.environ, "BENCH_BODY": body.decode()} if body is not None else None
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration_s + 30, check=False, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadGenError(f"wrk did not finish within {duration_s + 30} s") from exc
    if out.returncode != 0:
        raise LoadGenError(f"wrk exited with {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return _parse(out.stdout, connections)
