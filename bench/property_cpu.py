"""The property phase's own CPU per example, with the HTTP exchange counted apart: a figure that holds on a busy
machine, where examples per second do not.

For each script of `property_vs_schemathesis.py` (the same fixtures) this starts one azmlinfsrv and runs
`scorecheck run --target URL FIXTURES --max-examples N` in this process, `--rounds` times, with the search
(`Search.run`) and every `Client.send` timed on this thread's CPU clock (`time.thread_time`) and the wall clock.
It prints per round: examples sent, wall and CPU per example in the search, of which in `Client.send` (the
request, the response, the curl line) and outside it (hypothesis, the strategies, the checks, the bookkeeping).
The server's CPU is not counted: it is another process.

Run from the repository root: `.venv/bin/python bench/property_cpu.py [--examples 300] [--rounds 3]
[--only "float outputs" ...]`. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from property_vs_schemathesis import served  # noqa: E402

from scorecheck.cli.main import run_cli  # noqa: E402
from scorecheck.phases import search  # noqa: E402
from scorecheck.serverproc import client  # noqa: E402


@dataclass
class Clock:
    sends: int = 0
    send_cpu: float = 0.0
    send_wall: float = 0.0


def _timed_send(clock: Clock, send: Callable[..., Any]) -> Callable[..., Any]:
    def timed(self: client.Client, *args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return send(self, *args, **kwargs)
        finally:
            clock.sends += 1
            clock.send_cpu += time.thread_time() - cpu
            clock.send_wall += time.perf_counter() - wall

    return timed


def _timed_search(clock: Clock, run: Callable[..., Any], rows: List[str]) -> Callable[..., Any]:
    def timed(self: search.Search) -> Any:
        before = Clock(clock.sends, clock.send_cpu, clock.send_wall)
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return run(self)
        finally:
            n = max(clock.sends - before.sends, 1)
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            send_cpu = clock.send_cpu - before.send_cpu
            rows.append(
                f"  {n} examples: wall {wall * 1000 / n:.2f} ms, CPU {cpu * 1000 / n:.2f} ms per example; "
                f"in Client.send: wall {(clock.send_wall - before.send_wall) * 1000 / n:.2f} ms, "
                f"CPU {send_cpu * 1000 / n:.2f} ms; outside it: CPU {(cpu - send_cpu) * 1000 / n:.2f} ms"
            )

    return timed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=300, help="--max-examples (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per script (default 3)")
    parser.add_argument("--only", nargs="*", default=None, help="labels of the scripts to run (default all)")
    options = parser.parse_args()
    clock, rows = Clock(), []
    client.Client.send = _timed_send(clock, client.Client.send)  # type: ignore[method-assign]
    search.Search.run = _timed_search(clock, search.Search.run, rows)  # type: ignore[method-assign]
    for label, url, fixtures, work in served(options.only):
        args = ["run", "--target", url, str(fixtures), "--junit-xml", str(work / "r.xml")]
        args += ["--max-examples", str(options.examples), "--max-time", "600", "--save-failures", ""]
        os.chdir(work)
        for _ in range(options.rounds):
            # The gate's own report is not the figure: only the timings are printed.
            with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
                run_cli(args)
        os.chdir(REPO)
        print(f"{label}:", *rows, sep="\n", flush=True)
        rows.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
