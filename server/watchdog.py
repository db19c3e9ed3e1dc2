"""The parent watchdog, an integration option: end the whole server when the process that started it dies.

A test harness (scorecheck's gate and its pytest plugin) starts the server with the read end of a pipe whose
write end only the harness holds, and names that descriptor in `AZMLINFSRV_WATCHDOG_FD`. A daemon thread of the
master process blocks reading it; end-of-file means every write end is closed, so the harness is gone (killed,
crashed or exited without stopping us), and the master kills its process group: itself and every worker, a
worker stuck in a `run()` that never returns included. Without the variable nothing happens.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Mapping, Optional

WATCHDOG_ENV = "AZMLINFSRV_WATCHDOG_FD"
logger = logging.getLogger("azmlinfsrv")


def watchdog_fd(environ: Mapping[str, str]) -> Optional[int]:
    """The descriptor named by AZMLINFSRV_WATCHDOG_FD, or None (unset, or not a descriptor number)."""
    text = environ.get(WATCHDOG_ENV, "").strip()
    return int(text) if text.isdigit() else None


def start_watchdog(fd: Optional[int]) -> None:
    """Watch `fd` from a daemon thread of this (master) process; forked workers do not inherit the thread.

    The variable is removed from the environment, so that programs the script starts do not watch a
    descriptor number that means something else to them.
    """
    os.environ.pop(WATCHDOG_ENV, None)
    if fd is None:
        return
    try:
        os.set_inheritable(fd, False)
    except OSError as exc:
        logger.warning("%s=%d is not an open descriptor (%s); not watching it", WATCHDOG_ENV, fd, exc)
        return
    threading.Thread(target=_watch, args=(fd,), name="parent-watchdog", daemon=True).start()


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 4096)
        except InterruptedError:
            continue
        except OSError:
            return  # the descriptor went away: no verdict on the parent
        if not data:
            _end_group()
            return


def _end_group() -> None:
    # SIGKILL, not a graceful stop: nobody is left to wait for in-flight requests, and a worker stuck in
    # run() would hold a graceful stop for the whole graceful timeout.
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)  # not a group of our own: never signal someone else's
