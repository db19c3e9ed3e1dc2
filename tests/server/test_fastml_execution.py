"""The inference slots of `fastml server` (--threads, --timeout)."""

from __future__ import annotations

import threading
import time

import pytest
from azmlinfsrv.fastml.execution import InferencePool
from azmlinfsrv.unified.services import InferenceTimeout


def _nap(seconds: float) -> float:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)
    return seconds


def _run_together(pool: InferencePool, count: int, seconds: float) -> float:
    started = time.monotonic()
    threads = [threading.Thread(target=pool.call, args=(_nap, seconds)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return time.monotonic() - started


def test_one_thread_runs_calls_one_after_another() -> None:
    assert _run_together(InferencePool(threads=1, timeout_s=0), 2, 0.3) >= 0.6


def test_several_threads_run_calls_at_once() -> None:
    assert _run_together(InferencePool(threads=2, timeout_s=0), 2, 0.3) < 0.55


def test_timeout_and_recovery() -> None:
    pool = InferencePool(threads=1, timeout_s=0.2)
    with pytest.raises(InferenceTimeout, match=r"0\.2 s timeout"):
        pool.call(_nap, 2.0)
    assert pool.call(_nap, 0.0) == 0.0


def test_errors_propagate() -> None:
    def fail(_: object) -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        InferencePool(threads=1, timeout_s=1).call(fail, None)
