"""inference-schema's conversion in isolation: CPU time per call of a decorated run() on the kind's parsed body.

Both servers parse the JSON body and then call the decorated run() with the parameter's value; inference-schema
converts it (to a numpy array, a DataFrame, ...) before the user's code runs. This times exactly that call, in the
interpreter that runs this file, so the bench can subtract it from a server's CPU per request and show the
server's own overhead. run_bench.py runs it with both servers' venvs; by hand:

    .venv/bin/python bench/conversion.py bench/scripts/numpy_score.py '{"data": [[1.0, 2.0, 3.0, 4.0]]}'
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any


def _load_run(script: Path) -> Any:
    spec = importlib.util.spec_from_file_location("bench_conversion_script", script)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.init()
    return module.run


def cpu_us_per_call(script: Path, body: bytes, calls: int, warmup: int = 200) -> float:
    run = _load_run(script)
    kwargs = json.loads(body)
    for _ in range(warmup):
        run(**kwargs)
    started = time.process_time()
    for _ in range(calls):
        run(**kwargs)
    return (time.process_time() - started) * 1e6 / calls


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    calls = int(argv[2]) if len(argv) == 3 else 2000
    per_call = cpu_us_per_call(Path(argv[0]), argv[1].encode(), calls)
    print(json.dumps({"script": argv[0], "calls": calls, "cpu_us_per_call": per_call}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
