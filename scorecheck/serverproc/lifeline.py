"""The server cannot outlive the process that started it: the gate, a pytest session, an xdist worker.

One mechanism for both faces, two layers, because a CI runner that kills a job sends SIGKILL, which leaves
no chance to clean up:

- **The watchdog pipe.** The server gets the read end of a pipe whose only write end we hold, and its number
  in `AZMLINFSRV_WATCHDOG_FD` (an integration option of `azmlinfsrv` and `fastml server`, see docs/server.md).
  The kernel closes our end when we die, however we die; the server's master sees end-of-file and kills its
  whole process group, a worker stuck in `run()` included.
- **PR_SET_PDEATHSIG** (Linux). Set in the child before it executes the server: the kernel sends it SIGTERM
  when its parent dies. It covers the moments before the server has read its settings, and a
  `server-command` that has no watchdog. The signal fires when the *thread* that forked the child ends, so
  every server is started from one thread that lives as long as the process (`spawn`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import sys
import threading
from concurrent.futures import Future
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

WATCHDOG_ENV = "AZMLINFSRV_WATCHDOG_FD"
_PR_SET_PDEATHSIG = 1
T = TypeVar("T")


def _prctl() -> Optional[Any]:
    """libc's prctl, looked up in the parent: the child may only make the call, not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_PRCTL = _prctl()


class Lifeline:
    """The pipe and the child-side set-up that tie one server's life to this process."""

    def __init__(self) -> None:
        self._read: Optional[int] = None
        self._write: Optional[int] = None
        if os.name == "posix":
            self._read, self._write = os.pipe()  # both ends close-on-exec; only the read end is passed

    @property
    def env(self) -> Dict[str, str]:
        return {WATCHDOG_ENV: str(self._read)} if self._read is not None else {}

    @property
    def pass_fds(self) -> Tuple[int, ...]:
        return (self._read,) if self._read is not None else ()

    def preexec(self) -> Optional[Callable[[], None]]:
        """What the child runs before executing the server (None where there is nothing to set)."""
        prctl, parent = _PRCTL, os.getpid()
        if prctl is None:
            return None

        def ask_for_sigterm_when_the_parent_dies() -> None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
            if os.getppid() != parent:  # the parent died before the request was in place
                os.kill(os.getpid(), signal.SIGTERM)

        return ask_for_sigterm_when_the_parent_dies

    def started(self) -> None:
        """The child holds its copy of the read end now; ours is not needed."""
        read, self._read = self._read, None
        if read is not None:
            os.close(read)

    def release(self) -> None:
        """Close our end once the server is gone (closing it earlier ends the server too)."""
        self.started()
        write, self._write = self._write, None
        if write is not None:
            os.close(write)


class _Spawner:
    """One daemon thread, started on first use, that runs every server start for the life of the process."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def run(self, start: Callable[[], T]) -> T:
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="scorecheck-spawner", daemon=True)
                self._thread.start()
        self._jobs.put((start, future))
        try:
            return future.result()
        except BaseException:
            # Interrupted (Ctrl-C) while the child is being started: let the start finish, so that the
            # caller's clean-up finds the child and stops it, then pass the interrupt on.
            with contextlib.suppress(BaseException):
                future.result()
            raise

    def _serve(self) -> None:
        while True:
            start, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(start())
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)


_SPAWNER = _Spawner()


def spawn(start: Callable[[], T]) -> T:
    """Run `start` (which forks the server) on the long-lived spawner thread and return its result."""
    return _SPAWNER.run(start)
