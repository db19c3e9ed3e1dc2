"""Conformance sample `sleep`: run() sleeps `seconds` (JSON body, default 3) and returns how long it slept.

With TEST_MARKER_DIR set, init() creates `init-<pid>` and run() creates `run-<pid>-<n>` there when it starts,
so tests can wait for those moments without sleeping.
"""

import json
import os
import time

runs = 0


def _marker(name):
    directory = os.environ.get("TEST_MARKER_DIR")
    if directory:
        with open(os.path.join(directory, name), "w"):
            pass


def init():
    _marker(f"init-{os.getpid()}")


def _seconds(data):
    try:
        return float(json.loads(data).get("seconds", 3))
    except (ValueError, AttributeError, TypeError):
        return 3.0


def run(data):
    global runs
    runs += 1
    seconds = _seconds(data)
    _marker(f"run-{os.getpid()}-{runs}")
    time.sleep(seconds)
    return {"slept": seconds}
