"""Run the user's `run()` one call at a time per worker, with a deadline that works on any thread.

Upstream bounds `run()` with SIGALRM, which only works on the main thread of a sync worker. Here every call
executes on one dedicated scoring thread per worker process (so user code is never concurrent, as upstream),
and the request thread waits for it with a deadline. On expiry the request gets its 500 at once and the
scoring thread is interrupted with an asynchronous exception, which lands at the next Python bytecode (C code
that never returns to Python may overrun; documented). A timed-out thread is retired and a successor takes
over only after it has finished, so a late exception can never hit another request and calls stay serial.
"""

from __future__ import annotations

import contextvars
import ctypes
import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Optional


class ScoringTimeout(BaseException):
    """Raised inside the scoring thread on expiry; a BaseException so `except Exception` in user code can't eat it."""


class WorkerStuck(Exception):
    """The scoring thread did not start this call within the worker timeout: an earlier call never returned."""


class _Job:
    __slots__ = ("call", "future", "running", "started_at")

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call = call
        self.future: Future[Any] = Future()
        self.running = False
        self.started_at: Optional[float] = None


class _ScoringThread:
    def __init__(self, jobs: queue.SimpleQueue[_Job], predecessor: Optional[threading.Thread]) -> None:
        self._jobs = jobs
        self._predecessor = predecessor
        self.state_lock = threading.Lock()
        self.retired = False
        self.current: Optional[_Job] = None
        self.thread = threading.Thread(target=self._loop, name="azmlinfsrv-scoring", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        if self._predecessor is not None:
            self._predecessor.join()
        try:
            while True:
                job = self._jobs.get()
                if not self._execute(job):
                    return
        except ScoringTimeout:
            return  # a late interruption of a retired thread: it was leaving anyway

    def _execute(self, job: _Job) -> bool:
        """Runs one job; returns False when this thread has been retired and must stop taking jobs."""
        if not job.future.set_running_or_notify_cancel():
            return True  # its request gave up while it was queued
        with self.state_lock:
            self.current = job
            job.running = True
            job.started_at = time.monotonic()
        try:
            result = job.call()
        except BaseException as exc:
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        with self.state_lock:
            job.running = False
            self.current = None
            keep_going = not self.retired
        if outcome[0]:
            job.future.set_result(outcome[1])
        else:
            job.future.set_exception(outcome[1])
        return keep_going

    def interrupt(self, job: _Job) -> bool:
        """Retire this thread and interrupt `job` if it is still running here; False if it already finished."""
        with self.state_lock:
            if not job.running or self.current is not job:
                return False
            self.retired = True
            ident = self.thread.ident
            if ident is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(ident), ctypes.py_object(ScoringTimeout)
                )
            return True


class Scorer:
    """Serial executor for user code; one per worker process."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker = _ScoringThread(self._jobs, None)

    def call(self, func: Callable[..., Any], timeout_s: float, queue_limit_s: float, **kwargs: Any) -> Any:
        """Call `func(**kwargs)` on the scoring thread and return its result.

        The deadline `timeout_s` counts from the moment the call starts, as upstream times only `run()` itself;
        waiting behind other calls is bounded by `queue_limit_s` (the worker timeout). Raises ScoringTimeout or
        WorkerStuck. The caller's context (Flask's request context included) travels with the call.
        """
        context = contextvars.copy_context()
        job = _Job(lambda: context.run(func, **kwargs))
        queued_at = time.monotonic()
        self._jobs.put(job)
        while True:
            started = job.started_at
            now = time.monotonic()
            if started is None:
                wait = min(timeout_s, queued_at + queue_limit_s - now)
                if wait <= 0 and job.future.cancel():
                    raise WorkerStuck()
            else:
                wait = started + timeout_s - now
                if wait <= 0:
                    if self._abandon(job):
                        raise ScoringTimeout() from None
                    return job.future.result()  # it finished just as time ran out
            try:
                return job.future.result(timeout=max(wait, 0.0))
            except FutureTimeout:
                continue

    def _abandon(self, job: _Job) -> bool:
        with self._lock:
            worker = self._worker
            if not worker.interrupt(job):
                return False
            self._worker = _ScoringThread(self._jobs, worker.thread)
            return True
