"""What every runner does to turn a config into a served app, and how a boot failure is reported."""

from __future__ import annotations

import logging
from typing import Optional

import flask

from ..config import ServerConfig
from ..debugger import DebuggerUnavailable, attach_debugger
from ..entry import EntryScriptError, InitFailed, format_chained
from ..telemetry import Telemetry, start_telemetry
from ..worker import load_worker

EXIT_BOOT_FAILURE = 3
logger = logging.getLogger("azmlinfsrv")


def boot(config: ServerConfig) -> Optional[flask.Flask]:
    """The app, or None after logging why the script cannot be served (the caller exits 3)."""
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
