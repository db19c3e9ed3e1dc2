"""Run the user's `run()` one call at a time per worker, with a deadline, on whichever thread serves the request.

Two paths, one lock (so user code is never concurrent within a worker, as upstream):

* On the main thread (where the worker serves requests itself, as gunicorn's sync worker does), `run()` is called
  inline under a SIGALRM timer: upstream's own mechanism, with no thread hand-off, and it also interrupts
  blocking calls such as `time.sleep`.
* On any other thread (waitress, or the extra threads that answer while the main thread is busy), upstream has
  no working timeout. Here the call goes to one dedicated scoring thread and the request thread waits with a
  deadline. On expiry the request gets its 500 at once and the scoring thread is interrupted with an
  asynchronous exception, which lands at the next Python bytecode (C code that never returns to Python may
  overrun; documented). A timed-out thread is retired and a successor takes over only after it has finished,
  so a late exception can never hit another request and calls stay serial.
"""

from __future__ import annotations

import contextvars
import ctypes
import importlib
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from types import FrameType
from typing import Any, Callable, Dict, Optional


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
    def __init__(
        self,
        jobs: queue.SimpleQueue[_Job],
        predecessor: Optional[threading.Thread],
        run_lock: threading.Lock,
    ) -> None:
        self._jobs = jobs
        self._run_lock = run_lock
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
        # The lock first: until this job holds it, its request may still give up waiting (WorkerStuck), which
        # cancelling the future only allows while it is not yet marked running.
        with self._run_lock:
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

    def __init__(self, inline_on_main_thread: bool = True) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._worker: Optional[_ScoringThread] = None
        self._pid = 0
        self._inline = inline_on_main_thread and hasattr(signal, "setitimer")
        self._inline_started: Optional[float] = None

    def busy_for(self) -> Optional[float]:
        """Seconds the current call has been running, or None when idle (the worker's heartbeat reads it)."""
        started = self._inline_started
        worker = self._worker
        job = worker.current if worker is not None else None
        if started is None and job is not None:
            started = job.started_at
        return None if started is None else time.monotonic() - started

    def call(self, func: Callable[..., Any], timeout_s: float, queue_limit_s: float, **kwargs: Any) -> Any:
        """Call `func(**kwargs)` serially and return its result; raises ScoringTimeout or WorkerStuck.

        The deadline `timeout_s` counts from the moment the call starts, as upstream times only `run()` itself;
        waiting behind other calls is bounded by `queue_limit_s` (the worker timeout).
        """
        if self._inline and threading.current_thread() is threading.main_thread():
            return self._call_inline(func, timeout_s, queue_limit_s, kwargs)
        return self._call_threaded(func, timeout_s, queue_limit_s, kwargs)

    def _call_inline(
        self, func: Callable[..., Any], timeout_s: float, queue_limit_s: float, kwargs: Dict[str, Any]
    ) -> Any:
        if not self._run_lock.acquire(timeout=queue_limit_s):
            raise WorkerStuck()
        try:
            self._inline_started = time.monotonic()
            return _with_alarm(func, timeout_s, kwargs)
        finally:
            self._inline_started = None
            self._run_lock.release()

    def _ensure_thread(self) -> _ScoringThread:
        # Started on first use in the serving process: with WORKER_PRELOAD the scorer is built in the gunicorn
        # master, and threads do not survive the fork into the workers.
        with self._lock:
            if self._worker is None or self._pid != os.getpid():
                self._jobs = queue.SimpleQueue()
                self._worker = _ScoringThread(self._jobs, None, self._run_lock)
                self._pid = os.getpid()
            return self._worker

    def _call_threaded(
        self, func: Callable[..., Any], timeout_s: float, queue_limit_s: float, kwargs: Dict[str, Any]
    ) -> Any:
        # The caller's context (Flask's request context included) travels with the call.
        context = contextvars.copy_context()
        job = _Job(lambda: context.run(func, **kwargs))
        queued_at = time.monotonic()
        self._ensure_thread()
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
            if worker is None or not worker.interrupt(job):
                return False
            self._worker = _ScoringThread(self._jobs, worker.thread, self._run_lock)
            return True


# `signal.getsignal` turns the handler into an enum member when it can, raising and catching ValueError for a
# function: about 4 us of every request. The C function it wraps gives the same handler object.
_getsignal: Callable[[int], object] = getattr(
    importlib.import_module("_signal"), "getsignal", signal.getsignal
)


class _AlarmState:
    """When the inline call armed by `_with_alarm` must end; None while no call is armed."""

    deadline: Optional[float] = None


_alarm = _AlarmState()


def _on_alarm(signum: int, frame: Optional[FrameType]) -> None:
    # The kernel may deliver SIGALRM just as run() returns, and Python runs this handler at a later bytecode:
    # by then the call may be over (a late alarm is ignored, so it cannot surface in a GC callback or after the
    # response was built) or a new call may have started (a stale or early alarm re-arms for the real deadline).
    deadline = _alarm.deadline
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining > 0:
        signal.setitimer(signal.ITIMER_REAL, remaining)
        return
    _alarm.deadline = None
    raise ScoringTimeout()


def _with_alarm(func: Callable[..., Any], timeout_s: float, kwargs: Dict[str, Any]) -> Any:
    if _getsignal(signal.SIGALRM) is not _on_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    finished = False
    result: Any = None
    try:
        _alarm.deadline = time.monotonic() + timeout_s
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            result = func(**kwargs)
            finished = True
        finally:
            # Disarmed before the timer is cancelled: from here on an alarm already on its way is a no-op.
            _alarm.deadline = None
            signal.setitimer(signal.ITIMER_REAL, 0)
    except ScoringTimeout:
        if not finished:
            raise
        # The alarm fired just as run() returned: the result stands.
    return result
