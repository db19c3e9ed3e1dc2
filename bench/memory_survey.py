"""Memory growth survey: what `memory_growth` measures on every script of the detection suite, over N seeds.

No script of `tests/scripts/detection/` leaks, so every run must end with memory_growth passed (a false alarm
otherwise) or, for a run that served too few requests, not checked. The table shows the fitted growth and the
windows rising per run, to see the margin below the limit.

    .venv/bin/python bench/memory_survey.py [--seeds 3] [--first-seed 3] [--jobs 2] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Tuple

from detectkit.suite import Script, discover

SCORECHECK = Path(sys.executable).with_name("scorecheck")
FIGURES = re.compile(
    r"([-\d.]+) kB per request over (\d+) requests \(limit [\d.]+ kB; (\d+) of (\d+) windows"
)
DEADLINE_S = 300.0


def run_once(script: Script, seed: int) -> Tuple[str, int, str, str]:
    """(script, seed, memory_growth outcome, figures) of one default gate run."""
    with tempfile.TemporaryDirectory(prefix=f"memsurvey-{script.name}-") as tmp:
        command = [str(SCORECHECK), "run", str(script.score), str(script.cases), "--seed", str(seed)]
        proc = subprocess.Popen(
            [*command, "--format", "json", "--junit-xml", str(Path(tmp) / "r.xml")],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return script.name, seed, "error", f"no verdict in {DEADLINE_S:.0f} s"
    try:
        cases: List[Dict[str, Any]] = json.loads(out)["cases"]
    except (ValueError, KeyError):
        return script.name, seed, "error", f"exit {proc.returncode}, no JSON document"
    case = next((c for c in cases if c["name"] == "memory_growth"), None)
    if case is None:
        return script.name, seed, "absent", ""
    text = case["message"] or case["log"].splitlines()[0]
    found = FIGURES.search(text)
    figures = f"{found[1]} kB/request, {found[3]}/{found[4]} rising, {found[2]} judged" if found else text
    return script.name, seed, case["outcome"], figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds per script (default 3)")
    parser.add_argument("--first-seed", type=int, default=3, help="the first seed (default 3)")
    parser.add_argument("--jobs", type=int, default=2, help="gate runs at the same time (default 2)")
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME", help="run only these scripts")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(script, seed) for seed in seeds for script in discover(only=args.only)]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda job: run_once(*job), jobs))
    print("| script | seed | memory_growth | measured |\n|---|---|---|---|")
    for name, seed, outcome, figures in results:
        print(f"| {name} | {seed} | {outcome} | {figures} |")
    counts: Dict[str, int] = {}
    for _, _, outcome, _ in results:
        counts[outcome] = counts.get(outcome, 0) + 1
    print(f"\n{len(results)} runs: " + ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items())))
    return 1 if counts.get("failed") or counts.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
