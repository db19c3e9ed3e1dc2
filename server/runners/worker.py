"""Everything a worker does before it serves: load the script, run init(), build the swaggers and the app.

Runners call `load_worker()` once per worker process (or once in the master with WORKER_PRELOAD), after
logging and the process environment are in place. This is where the layers meet: the script (`script/`), the
HTTP app (`web/`) and the unified API blueprint (`unified/`) are put together here, not in each other.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

from ..compat import aliases
from ..config import ServerConfig
from ..logs.printcapture import PrintCapture
from ..script.entry import EntryScript, call_init, load_entry, prepare_sys_path, warn_shadowed
from ..script.invoke import Invoker
from ..script.scoring import Scorer
from ..telemetry import Telemetry
from ..unified.entry_service import entry_blueprint
from ..web.app import create_app
from ..web.ids import current_request_id
from ..web.swagger import SwaggerDocuments, SwaggerSettings, build_swaggers
from .loaded import LoadedWorker

logger = logging.getLogger("azmlinfsrv")


def load_worker(config: ServerConfig, telemetry: Optional[Telemetry]) -> LoadedWorker:
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
    unified = entry_blueprint(invoker, config.scoring_timeout_ms, current_request_id)  # /health, /infer
    app = create_app(config, invoker, swaggers, telemetry, blueprints=[unified])
    logger.info("Worker with pid %d ready for serving traffic", os.getpid())
    return LoadedWorker(app, scorer.busy_for)


def _swaggers(config: ServerConfig, entry: EntryScript) -> SwaggerDocuments:
    settings = SwaggerSettings(
        service_name=config.service_name,
        service_version=config.service_version,
        path_prefix=config.service_path_prefix,
        app_root=config.app_root,
    )
    return build_swaggers(settings, entry.run, logging.getLogger("azmlinfsrv.swagger"))
