"""What every runner does to turn a config into a served app, and how a boot failure is reported."""

from __future__ import annotations

import logging
from typing import Optional

import flask

from ..config import ServerConfig
from ..debugger import DebuggerUnavailable, attach_debugger
from ..entry import EntryScriptError, InitFailed, format_chained
from ..worker import load_worker

EXIT_BOOT_FAILURE = 3
logger = logging.getLogger("azmlinfsrv")


def boot(config: ServerConfig) -> Optional[flask.Flask]:
    """The app, or None after logging why the script cannot be served (the caller exits 3)."""
    try:
        if config.debug_port is not None:
            attach_debugger(config.debug_port)
        return load_worker(config)
    except DebuggerUnavailable:
        return None
    except InitFailed:
        return None  # call_init already logged the user's traceback and the model directory
    except EntryScriptError as exc:
        logger.error("%s", format_chained(exc))
        return None
