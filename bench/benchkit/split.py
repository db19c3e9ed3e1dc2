"""The decorated run()'s CPU time inside a server, read from bench/inject/sitecustomize.py's files.

For the kinds whose input inference-schema converts, both servers start with the probe on PYTHONPATH and
BENCH_RUN_CPU_DIR set; each of their processes keeps `<calls> <cpu ns>` in that directory under its pid. The
difference of two readings over a wrk run gives the CPU per decorated call (conversion and the user's code) as
it ran in that server, next to the server's CPU per request from the same run.
"""

from __future__ import annotations

from pathlib import Path

INJECT = Path(__file__).resolve().parent.parent / "inject"

Totals = tuple[int, int]  # calls, CPU ns


def probe_env(env: dict[str, str], directory: Path) -> dict[str, str]:
    """`env` with the probe loaded into every Python process started with it."""
    directory.mkdir(parents=True, exist_ok=True)
    return {**env, "PYTHONPATH": str(INJECT), "BENCH_RUN_CPU_DIR": str(directory)}


def totals(directory: Path | None, pids: tuple[int, ...]) -> Totals:
    """The calls and CPU time so far of these processes (a process not yet written counts nothing)."""
    if directory is None:
        return 0, 0
    calls = cpu_ns = 0
    for pid in pids:
        try:
            text = (directory / str(pid)).read_text()
        except OSError:
            continue
        parts = text.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            calls += int(parts[0])
            cpu_ns += int(parts[1])
    return calls, cpu_ns


def per_call_us(before: Totals, after: Totals) -> float | None:
    """CPU µs per decorated call between two readings, or None when no call was counted."""
    calls = after[0] - before[0]
    return (after[1] - before[1]) / 1000 / calls if calls > 0 else None
