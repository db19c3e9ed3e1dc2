"""Benchmark azmlinfsrv against the reference server and a bare Flask app, side by side.

Run from the repo root:  .venv/bin/python bench/run_bench.py   (see bench/README.md)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchkit.cpu import Patience
from benchkit.kinds import KINDS, TRIVIAL, Kind, parse_kinds
from benchkit.loadgen import wrk_path, wrk_version
from benchkit.measure import ServerResult, Settings, measure_all
from benchkit.procs import cleanup_on_exit
from benchkit.report import build_rows, format_table, write_json
from benchkit.servers import ALL_SERVERS, BARE, OURS, REFERENCE, Layout, gunicorn_flags, ours_worker, specs
from benchkit.split import probe_env
from benchkit.summary import KindLine, conversion_us, format_summary, kind_line
from benchkit.venvs import ensure_reference_venv, package_version

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# The bare Flask app runs on ours' gunicorn worker class and threads, so that it is the ceiling for
# the same stack: read from ours (server/runners/gunicorn_runner.py), else this fallback.
FALLBACK_WORKER = ("gthread", 4)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=1, help="worker processes for every server (default 1)")
    p.add_argument("--bare-worker-class", help="gunicorn worker class of the bare Flask app (default: ours')")
    p.add_argument("--threads", type=int, help="gunicorn --threads of the bare Flask app (default: as ours)")
    p.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of discarded wrk warm-up (default 2)")
    p.add_argument("--connections", default="1,8", help="wrk concurrencies, comma-separated (default 1,8)")
    p.add_argument("--rounds", type=int, default=3, help="rounds over all servers; medians (default 3)")
    p.add_argument(
        "--launches", type=int, default=2, help="launches timed for startup per round (default 2; 0: none)"
    )
    p.add_argument(
        "--kinds",
        default=TRIVIAL,
        help=f"script kinds served, comma-separated, or all (default {TRIVIAL}): {', '.join(KINDS)}",
    )
    p.add_argument("--settle", type=float, default=2.0, help="idle seconds after ready before memory")
    p.add_argument(
        "--quiet",
        type=float,
        default=10.0,
        help="before each measurement wait until other processes use < this %% of the machine",
    )
    p.add_argument("--quiet-wait", type=float, default=30.0, help="longest wait for a quiet machine (s)")
    p.add_argument(
        "--retries", type=int, default=2, help="reruns of a wrk run disturbed by others (default 2)"
    )
    p.add_argument(
        "--patience", type=float, default=240.0, help="total seconds for quiet waits and reruns (default 240)"
    )
    p.add_argument("--ready-deadline", type=float, default=60.0, help="seconds a server has to answer GET /")
    p.add_argument("--servers", default=",".join(ALL_SERVERS), help="subset of reference,ours,bare")
    p.add_argument("--server-cpu", type=int, default=0, help="core the servers are pinned to (default 0)")
    p.add_argument(
        "--load-cpu", type=int, default=1, help="core wrk and this script are pinned to (default 1)"
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin anything to cores")
    p.add_argument("--ours-venv", type=Path, default=REPO / ".venv", help="venv with azmlinfsrv and gunicorn")
    p.add_argument("--ref-venv", type=Path, default=BENCH / ".venv-ref", help="venv for the reference")
    p.add_argument("--ref-python", default="python3.11", help="interpreter the reference venv is made with")
    p.add_argument("--results-dir", type=Path, default=BENCH / "results", help="where JSON and logs go")
    return p.parse_args(argv)


def _check_args(args: argparse.Namespace) -> None:
    positive = {
        "--workers": args.workers,
        "--threads": args.threads or 1,
        "--duration": args.duration,
        "--rounds": args.rounds,
    }
    bad = [name for name, value in positive.items() if value < 1]
    others = (args.warmup, args.settle, args.retries, args.patience, args.launches)
    if bad or min(others) < 0 or args.ready_deadline <= 0:
        raise SystemExit(f"invalid values: {bad or 'others'} (counts >= 1, deadline > 0, the rest >= 0)")


def _server_keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in ALL_SERVERS]
    if unknown or not keys:
        raise SystemExit(f"--servers: unknown {unknown}; choose from {', '.join(ALL_SERVERS)}")
    return keys


# The cores this process may use before it pins itself (_cpus runs once per script kind).
_AVAILABLE = frozenset(os.sched_getaffinity(0))


def _cpus(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """Cores for servers and load; pin this process to the load core too, so polling stays off core 0."""
    available = _AVAILABLE
    if args.no_pin:
        return None, None
    if shutil.which("taskset") is None:
        raise SystemExit("taskset is missing: apt-get install -y util-linux (or pass --no-pin)")
    if not {args.server_cpu, args.load_cpu} <= available or args.server_cpu == args.load_cpu:
        raise SystemExit(f"need two distinct cores among {sorted(available)}; pass --no-pin to skip pinning")
    os.sched_setaffinity(0, {args.load_cpu})
    return args.server_cpu, args.load_cpu


def _server_env() -> dict[str, str]:
    """The environment minus anything that would steer a server (AZUREML_*, a venv, PYTHONPATH), and
    minus PYTHONDONTWRITEBYTECODE: ours runs from the source tree (editable install), which would
    then be compiled again at every launch, unlike an installed package such as the reference."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if not k.startswith("AZUREML_") and k not in drop}


def _settings(
    args: argparse.Namespace, wrk: str, logs: Path, workdir: Path, *, layout: Layout, kind: Kind
) -> Settings:
    """The knobs for one kind; for a kind inference-schema converts, its conversion is measured in isolation around
    each run and the servers get the run() probe (benchkit/split.py)."""
    server_cpu, load_cpu = _cpus(args)
    conversion = _conversion(layout, kind, server_cpu) if kind.converts else None
    run_cpu_dir = workdir / "run-cpu" if conversion is not None else None
    conns = tuple(int(c) for c in args.connections.split(",") if c.strip())
    if not conns or min(conns) < 1:
        raise SystemExit("--connections: give positive integers, e.g. 1,8")
    return Settings(
        server_cpu=server_cpu,
        load_cpu=load_cpu,
        duration_s=args.duration,
        warmup_s=args.warmup,
        connections=conns,
        rounds=args.rounds,
        launches=args.launches,
        ready_deadline_s=args.ready_deadline,
        settle_s=args.settle,
        quiet_threshold=args.quiet / 100,
        retries=args.retries,
        patience=Patience(args.quiet / 100, args.quiet_wait, args.patience),
        wrk=wrk,
        lua=BENCH / "scripts" / "post_score.lua",
        logs=logs,
        workdir=workdir,
        env=probe_env(_server_env(), run_cpu_dir) if run_cpu_dir else _server_env(),
        body=kind.body,
        run_cpu_dir=run_cpu_dir,
        conversion=conversion,
    )


def _meta(args: argparse.Namespace, layout: Layout, settings: Settings, wrk: str) -> dict[str, Any]:
    ref_py, ours_py = layout.ref_bin / "python", layout.ours_bin / "python"
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "script": layout.script,
        "argv": sys.argv,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "wrk": wrk_version(wrk),
        "workers": layout.workers,
        "bare_worker_class": layout.bare_worker_class,
        "bare_threads": layout.bare_threads,
        "duration_s": settings.duration_s,
        "warmup_s": settings.warmup_s,
        "connections": list(settings.connections),
        "rounds": settings.rounds,
        "launches_per_round": settings.launches,
        "server_cpu": settings.server_cpu,
        "load_cpu": settings.load_cpu,
        "settle_s": settings.settle_s,
        "quiet_threshold": settings.quiet_threshold,
        "quiet_wait_s": args.quiet_wait,
        "retries": settings.retries,
        "patience_s": args.patience,
        "patience_left_s": round(settings.patience.remaining_s, 1),
        "versions": {
            "azureml-inference-server-http": package_version(ref_py, "azureml-inference-server-http"),
            "reference gunicorn": package_version(ref_py, "gunicorn"),
            "reference flask": package_version(ref_py, "flask"),
            "ours scorecheck": package_version(ours_py, "scorecheck"),
            "ours gunicorn": package_version(ours_py, "gunicorn"),
            "ours flask": package_version(ours_py, "flask"),
        },
        "git": _git_head(),
    }


def _git_head() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return out.stdout.strip() or "(no commit)"


def _layout(args: argparse.Namespace, keys: tuple[str, ...], kind: Kind) -> Layout:
    ref_bin = args.ref_venv / "bin"
    if REFERENCE in keys:
        ref_bin = ensure_reference_venv(args.ref_venv, BENCH / "requirements-reference.txt", args.ref_python)
    ours_bin = args.ours_venv / "bin"
    if OURS in keys and not (ours_bin / "azmlinfsrv").exists():
        print(f"warning: {ours_bin / 'azmlinfsrv'} not found: ours will fail", file=sys.stderr)
    flags = gunicorn_flags(ours_bin / "gunicorn") if BARE in keys else ()
    worker_class, threads = _bare_worker(args, ours_bin / "python") if BARE in keys else FALLBACK_WORKER
    scripts = BENCH / "scripts"
    return Layout(ref_bin, ours_bin, scripts, args.workers, worker_class, threads, flags, kind.script)


def _bare_worker(args: argparse.Namespace, ours_python: Path) -> tuple[str, int | None]:
    """Worker class and threads for the bare app: the flags, else what ours uses, else the fallback."""
    detected = ours_worker(ours_python)
    if detected is None and not (args.bare_worker_class and args.threads):
        print(f"note: could not read ours' gunicorn worker; bare flask falls back to {FALLBACK_WORKER}")
    worker_class, threads = detected or FALLBACK_WORKER
    return args.bare_worker_class or worker_class, args.threads or threads


def _warn_busy(results: dict[str, ServerResult], threshold: float) -> None:
    busiest = max((max(r.background) for r in results.values() if r.background), default=0.0)
    if busiest > threshold:
        print(
            f"\nwarning: other processes used up to {busiest:.0%} of the machine during a wrk run; "
            "figures are noisy: rerun on a quiet machine or with more --rounds"
        )


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    keys = _server_keys(args.servers)
    kinds = parse_kinds(args.kinds)
    wrk = wrk_path()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    lines: list[KindLine] = []
    failed = False
    for kind in kinds:
        # The bare Flask app serves only the trivial script.
        kind_keys = keys if kind.name == TRIVIAL else tuple(k for k in keys if k != BARE)
        print(f"\n==== script kind: {kind.name} (bench/scripts/{kind.script})", flush=True)
        line, kind_failed = _run_kind(args, kind, kind_keys, wrk, stamp)
        lines.append(line)
        failed = failed or kind_failed
    if len(kinds) > 1 or any(k.converts for k in kinds):
        print(f"\n==== per script kind ({args.workers} worker(s))\n" + format_summary(lines))
        summary = args.results_dir / f"bench-{stamp}-kinds.json"
        summary.write_text(json.dumps([line.as_dict() for line in lines], indent=2) + "\n")
        print(f"JSON: {summary}")
    return 1 if failed else 0


def _run_kind(
    args: argparse.Namespace, kind: Kind, keys: tuple[str, ...], wrk: str, stamp: str
) -> tuple[KindLine, bool]:
    layout = _layout(args, keys, kind)
    logs = args.results_dir / f"logs-{stamp}-{kind.name}"
    with tempfile.TemporaryDirectory(prefix="azbench-") as workdir, cleanup_on_exit():
        settings = _settings(args, wrk, logs, Path(workdir), layout=layout, kind=kind)
        results = measure_all(specs(layout, keys), settings)
    rows = build_rows(results, settings.connections)
    print()
    print(format_table(rows, settings.connections))
    _warn_busy(results, settings.quiet_threshold)
    if settings.patience.remaining_s <= 0:
        print("note: the --patience budget ran out; later measurements did not wait for a quiet machine")
    for r in results.values():
        if r.error:
            print(f"\n{r.label} FAILED: {r.error.splitlines()[0]} (see its log in {settings.logs})")
    line = kind_line(kind.name, results, max(settings.connections))
    out = args.results_dir / f"bench-{stamp}-{kind.name}.json"
    write_json(out, {**_meta(args, layout, settings, wrk), "kind": line.as_dict()}, results, rows)
    print(f"\nJSON: {out}\nServer logs: {settings.logs}")
    return line, any(r.error for r in results.values())


def _conversion(layout: Layout, kind: Kind, cpu: int | None) -> Callable[[str], float | None]:
    """inference-schema's conversion and run() per call in isolation (bench/conversion.py), in the venv of the
    server with this key, on the servers' core. It is measured around each of that server's runs: the machine's
    speed drifts by more between rounds than the overhead the figure is subtracted from."""
    pythons = {REFERENCE: layout.ref_bin / "python", OURS: layout.ours_bin / "python"}

    def measure(key: str) -> float | None:
        python = pythons.get(key)
        return None if python is None else conversion_us(python, layout.score_script, kind.body, cpu)

    return measure


def main(argv: list[str] | None = None) -> int:
    try:
        return run(parse_args(argv))
    except KeyboardInterrupt:
        print("\ninterrupted: every server started was killed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
