"""Diagnostic kind (not in --kinds): inference-schema's pandas conversion timed inside the serving process.

An undecorated run() that does what `@input_schema("data", PandasParameterType(...))` does to the `pandas` kind's
body, timing the conversion with the thread's CPU clock, and appending the median of every 1,000 calls to the
file named by PANDAS_TIMES (default /tmp/pandas_times.txt). Serve it with either server under wrk, or call it in
a loop in a bare interpreter, and compare the medians: see bench/README.md.
"""

from __future__ import annotations

import json
import os
import time

import pandas as pd
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType

PARAMETER = PandasParameterType(pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0], "d": [4.0]}))
TIMES: list[int] = []
WINDOW = 1000
BODY = '{"data": [{"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}]}'


def init() -> None:
    """Load nothing."""


def run(raw_data: str) -> list[float]:
    """The row sums of the converted DataFrame, as the `pandas` kind returns them."""
    data = json.loads(raw_data)["data"]
    started = time.thread_time_ns()
    frame = PARAMETER.deserialize_input(data)
    TIMES.append(time.thread_time_ns() - started)
    if len(TIMES) % WINDOW == 0:
        window = sorted(TIMES[-WINDOW:])
        with open(os.environ.get("PANDAS_TIMES", "/tmp/pandas_times.txt"), "a") as out:
            out.write(f"pid {os.getpid()} calls {len(TIMES)} median_us {window[WINDOW // 2] / 1000:.1f}\n")
    return [float(v) for v in frame.sum(axis=1)]


if __name__ == "__main__":
    for _ in range(4 * WINDOW):
        run(BODY)
