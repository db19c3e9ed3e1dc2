"""An interrupt (Ctrl-C, SIGTERM) is never lost.

The command line's signal handler calls `received()` first thing: the interrupt is recorded before anything
else happens, and a KeyboardInterrupt is raised only while a run may be cut short (`allow_raise`). Code can
swallow that exception without meaning to: hypothesis runs garbage-collector callbacks, and an exception raised
inside one is printed and dropped. So the record is sticky: the run calls `check()` at every boundary (each
example, each request, each event) and the interrupt is raised again until the run has handled it
(`handled()`). Setting up and writing the reports run with raising off; the interrupt is acted on right after.

The state is per process and only the command line sets it: in the pytest plugin nothing is recorded and
`check()` never raises (pytest handles Ctrl-C itself).
"""

from __future__ import annotations

import signal
from typing import Optional


class _State:
    # A plain class, not a dataclass: this module is imported before the signal handlers are installed, and
    # dataclasses costs more to import than the rest of the way there.
    signum: Optional[int] = None  # the last interrupt received
    handled = False
    raising = False


_STATE = _State()


def received(signum: int) -> None:
    """Record an interrupt (the signal handler); raise KeyboardInterrupt when a run may be cut short now."""
    _STATE.signum = signum
    if _STATE.raising and not _STATE.handled:
        raise KeyboardInterrupt


def allow_raise(allowed: bool) -> None:
    """Whether an interrupt cuts in at once (a run in progress) or waits for the next check (set-up, reports)."""
    _STATE.raising = allowed


def check() -> None:
    """A boundary: raise KeyboardInterrupt if an interrupt was received and not yet handled."""
    if _STATE.signum is not None and not _STATE.handled:
        raise KeyboardInterrupt


def handled() -> None:
    """The run is acting on the interrupt (stopping the server, closing the report): raise it no more."""
    _STATE.handled = True
    _STATE.raising = False


def interrupted() -> bool:
    """Whether any interrupt was received in this process."""
    return _STATE.signum is not None


def name() -> str:
    """The interrupt's name for a report: `SIGINT` (Ctrl-C) or `SIGTERM`."""
    return signal.Signals(_STATE.signum).name if _STATE.signum is not None else ""


def reset() -> None:
    """Forget everything (tests)."""
    _STATE.signum, _STATE.handled, _STATE.raising = None, False, False
