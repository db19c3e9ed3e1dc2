"""Conformance sample `sleep`: run() sleeps `seconds` (JSON body, default 3) and returns how long it slept.

With `"busy": true` in the body it spins in pure Python instead of sleeping (a timeout must stop that).

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


def _options(data):
    try:
        body = json.loads(data)
        return float(body.get("seconds", 3)), bool(body.get("busy", False))
    except (ValueError, AttributeError, TypeError):
        return 3.0, False


def _spin(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def run(data):
    global runs
    runs += 1
    seconds, busy = _options(data)
    _marker(f"run-{os.getpid()}-{runs}")
    if busy:
        _spin(seconds)
    else:
        time.sleep(seconds)
    return {"slept": seconds}
