"""gunicorn through its BaseApplication: the user's init() runs in load(), once per worker after the fork.

Workers use our ThreadedSyncWorker (sync_threads.py): gunicorn's sync worker, which serves and scores on its main
thread as upstream does, plus threads that answer while it is busy, so GET / never waits behind a long run().
"""

from __future__ import annotations

import sys
from typing import Any, Dict

from ..config import ServerConfig
from ..exitcodes import EXIT_BOOT_FAILURE, EXIT_OK
from .boot import boot
from .gunicorn_base import LoadingApplication, ServerLogger
from .loaded import LoadedWorker

GRACEFUL_TIMEOUT_S = 30


class AzmlApplication(LoadingApplication):
    """azmlinfsrv under gunicorn: settings from the `ServerConfig`, and each worker boots the entry script."""

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        super().__init__(gunicorn_options(config), self._boot)

    def _boot(self) -> LoadedWorker:
        # gunicorn hands this to the worker as its `wsgi`; ThreadedSyncWorker.load_wsgi unpacks it.
        loaded = boot(self._config)
        if loaded is None:
            # A worker exiting 3 makes the arbiter halt the whole server with 3 instead of respawning it.
            sys.exit(EXIT_BOOT_FAILURE)
        return loaded


def gunicorn_options(config: ServerConfig) -> Dict[str, Any]:
    binds = [f"{config.host}:{config.port}"]
    if config.health_enabled and config.health_port != config.port:
        binds.append(f"{config.host}:{config.health_port}")
    return {
        "bind": binds,
        "workers": config.worker_count,
        "worker_class": "azmlinfsrv.runners.sync_threads.ThreadedSyncWorker",
        "timeout": config.worker_timeout,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "preload_app": config.worker_preload,
        "logger_class": ServerLogger,
        "accesslog": "-",
        "proc_name": "azmlinfsrv",
        # gunicorn 23+ opens a control socket at one fixed path per user: servers started side by side
        # (tests, the gate) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }


def serve_gunicorn(config: ServerConfig) -> int:
    AzmlApplication(config).run()
    return EXIT_OK
