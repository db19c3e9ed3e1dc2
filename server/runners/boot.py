"""What every runner does to turn a config into a served app, and how a boot failure is reported.

The worker-side modules (Flask, inference-schema, the entry loader) are imported inside `boot()`, not here: the
gunicorn master imports this module but never serves, and without preload those imports would only add their
memory to the master as well as to every worker.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

from ..config import ServerConfig
from .debugger import DebuggerUnavailable, attach_debugger
from .loaded import LoadedWorker

if TYPE_CHECKING:
    from ..telemetry import Telemetry

logger = logging.getLogger("azmlinfsrv")


def boot(config: ServerConfig) -> Optional[LoadedWorker]:
    """The loaded worker, or None after logging why the script cannot be served (the caller exits 3)."""
    from ..script.entry import EntryScriptError, InitFailed, format_chained
    from ..telemetry import start_telemetry
    from .worker import load_worker

    telemetry = None
    try:
        if config.debug_port is not None:
            attach_debugger(config.debug_port)
        telemetry = start_telemetry(config)
        return load_worker(config, telemetry)
    except DebuggerUnavailable:
        return None
    except InitFailed as exc:
        # call_init already logged the user's traceback and the model directory.
        _report(telemetry, exc)
        return None
    except EntryScriptError as exc:
        logger.error("%s", format_chained(exc))
        _report(telemetry, exc)
        return None


def _report(telemetry: Optional[Telemetry], exc: BaseException) -> None:
    if telemetry is not None:
        telemetry.exception(exc.__cause__ or exc, {})
        telemetry.flush()
