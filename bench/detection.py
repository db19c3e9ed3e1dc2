"""Detection benchmark: does the gate find each planted bug on every seed, and pass every correct script?

Runs `scorecheck run` (the real CLI, default settings except `--seed`) on every script of
`tests/scripts/detection/` over N seeds, scripts in parallel, and prints per script the runs that reached
the expected verdict, the verdicts seen, the median time per run and which checks fired. See bench/README.md.

    .venv/bin/python bench/detection.py [--seeds 10] [--jobs 2] [--only NAME ...] [--out results.json]
    .venv/bin/python bench/detection.py --list     # check and list the suite, run nothing
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from benchkit.procs import cleanup_on_exit
from detectkit.runs import Groups, RunResult, run_once
from detectkit.suite import Script, SuiteError, discover
from detectkit.summary import build_row, format_table, totals, write_json

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130
FIRST_SEED = 1


@dataclass(frozen=True)
class Settings:
    seeds: int
    jobs: int
    only: tuple[str, ...]
    out: Path | None
    deadline_s: float
    scorecheck: Path
    list_only: bool
    target: bool


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10, help="seeds per script, 1..N (default 10)")
    parser.add_argument("--jobs", type=int, default=2, help="gate runs at the same time (default 2)")
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME", help="run only these scripts")
    parser.add_argument("--out", type=Path, help="write every run and the table rows as JSON here")
    parser.add_argument(
        "--deadline", type=float, default=240.0, help="seconds one gate run may take (default 240)"
    )
    parser.add_argument(
        "--scorecheck",
        type=Path,
        default=Path(sys.executable).with_name("scorecheck"),
        help="the scorecheck command (default: beside this interpreter)",
    )
    parser.add_argument(
        "--list", action="store_true", help="check the suite and list its scripts; run nothing"
    )
    parser.add_argument(
        "--target",
        action="store_true",
        help="serve each script with azmlinfsrv first and give the gate only its URL (no server log)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1:
        parser.error("--seeds and --jobs must be at least 1")
    return Settings(
        args.seeds,
        args.jobs,
        tuple(args.only),
        args.out,
        args.deadline,
        args.scorecheck,
        args.list,
        args.target,
    )


def list_suite(scripts: Sequence[Script]) -> None:
    for script in scripts:
        target = f"  {script.check}@{script.tier}: {script.bug}" if script.planted else ""
        print(f"{script.name:32} {script.verdict:5}{target}")
    planted = sum(script.planted for script in scripts)
    print(f"{planted} planted-bug scripts, {len(scripts) - planted} correct scripts")


def _progress(done: int, total: int, run: RunResult, started: float) -> None:
    fired = ",".join(run.failed + tuple(f"w:{name}" for name in run.warned)) or "-"
    elapsed = time.monotonic() - started
    print(
        f"[{done}/{total} {elapsed:6.0f} s] {run.script} seed {run.seed}: {run.verdict} ({run.wall_s:.1f} s) {fired}",
        flush=True,
    )


def run_all(settings: Settings, scripts: Sequence[Script], groups: Groups) -> list[RunResult]:
    """Every (script, seed) pair, `--jobs` at a time; seeds outermost so that partial results cover all scripts."""
    pairs = [(script, seed) for seed in range(FIRST_SEED, FIRST_SEED + settings.seeds) for script in scripts]
    results: list[RunResult] = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
        futures: list[Future[RunResult]] = [
            pool.submit(
                run_once,
                settings.scorecheck,
                script,
                seed,
                settings.deadline_s,
                groups,
                target=settings.target,
            )
            for script, seed in pairs
        ]
        try:
            for future in as_completed(futures):
                results.append(future.result())
                _progress(len(results), len(pairs), results[-1], started)
        except BaseException:
            for future in futures:
                future.cancel()
            groups.kill_all()
            raise
    return results


def report(
    settings: Settings, scripts: Sequence[Script], results: Sequence[RunResult], elapsed: float
) -> None:
    rows = [build_row(script, [r for r in results if r.script == script.name]) for script in scripts]
    print()
    print(format_table(rows))
    print()
    print(totals(scripts, rows))
    print(
        f"{len(results)} runs, seeds {FIRST_SEED}..{FIRST_SEED + settings.seeds - 1}, --jobs {settings.jobs}, "
        f"{'--target, ' if settings.target else ''}{elapsed:.0f} s"
    )
    if settings.out is not None:
        meta = {
            "seeds": settings.seeds,
            "jobs": settings.jobs,
            "target": settings.target,
            "first_seed": FIRST_SEED,
            "python": platform.python_version(),
            "elapsed_s": round(elapsed, 1),
        }
        write_json(settings.out, meta, rows, results)
        print(f"results: {settings.out}")


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        scripts = discover(only=settings.only)
    except SuiteError as exc:
        print(f"detection: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if settings.list_only:
        list_suite(scripts)
        return EXIT_OK
    if not settings.scorecheck.exists():
        print(
            f"detection: error: {settings.scorecheck} not found (install the project: pip install -e .)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    groups = Groups()
    started = time.monotonic()
    try:
        with cleanup_on_exit():
            results = run_all(settings, scripts, groups)
    except KeyboardInterrupt:
        print("detection: interrupted; every gate run was stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    report(settings, scripts, results, time.monotonic() - started)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
