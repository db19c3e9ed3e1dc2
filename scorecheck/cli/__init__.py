"""The command line: `scorecheck run` / `scorecheck record`, the reporters it drives, and the exit codes.

`main` is the console script. It installs the signal handlers before importing anything else (the engine,
hypothesis and requests take a moment to import), so a Ctrl-C or SIGTERM at any moment is recorded and ends
in exit code 130 with the report written.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import NoReturn, Optional, Sequence

from .. import interrupts


def _on_interrupt(signum: int, frame: Optional[FrameType]) -> None:
    interrupts.received(signum)


def main(argv: Optional[Sequence[str]] = None) -> NoReturn:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_interrupt)
    from .main import run_cli

    sys.exit(run_cli(argv))
