"""Everything a worker does before it serves: load the script, run init(), build the swaggers and the app.

Runners call `load_worker()` once per worker process (or once in the master with WORKER_PRELOAD), after
logging and the process environment are in place.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

import flask

from .app import create_app
from .compat import aliases
from .config import ServerConfig
from .entry import EntryScript, call_init, load_entry, prepare_sys_path, warn_shadowed
from .invoke import Invoker
from .logs import PrintCapture
from .scoring import BUSY_FOR_EXTENSION, Scorer
from .swagger import SwaggerDocuments, SwaggerSettings, build_swaggers
from .telemetry import Telemetry

logger = logging.getLogger("azmlinfsrv")


def load_worker(config: ServerConfig, telemetry: Optional[Telemetry]) -> flask.Flask:
    """Raises entry.EntryScriptError when the script cannot be served (the runner turns it into exit 3)."""
    if config.cors_list:
        logger.info("Enabling CORS for the following origins: %s", ", ".join(config.cors_list))
    aliases.install()
    prepare_sys_path(config)
    warn_shadowed(config)
    PrintCapture().install()
    entry = load_entry(config)
    call_init(entry, config.model_dir)
    swaggers = _swaggers(config, entry)
    logger.info("Scoring timeout is set to %d", config.scoring_timeout_ms)
    scorer = Scorer()
    invoker = Invoker(entry, scorer, config.scoring_timeout_ms, config.worker_timeout, telemetry)
    app = create_app(config, invoker, swaggers, telemetry)
    app.extensions[BUSY_FOR_EXTENSION] = scorer.busy_for
    logger.info("Worker with pid %d ready for serving traffic", os.getpid())
    return app


def _swaggers(config: ServerConfig, entry: EntryScript) -> SwaggerDocuments:
    settings = SwaggerSettings(
        service_name=config.service_name,
        service_version=config.service_version,
        path_prefix=config.service_path_prefix,
        app_root=config.app_root,
    )
    return build_swaggers(settings, entry.run, logging.getLogger("azmlinfsrv.swagger"))
