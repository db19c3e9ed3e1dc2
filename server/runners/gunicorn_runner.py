"""gunicorn through its BaseApplication: the user's init() runs in load(), once per worker after the fork.

Workers use our ThreadedSyncWorker (sync_threads.py): gunicorn's sync worker, which serves and scores on its main
thread as upstream does, plus threads that answer while it is busy, so GET / never waits behind a long run().
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Dict

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ..config import ServerConfig
from ..exitcodes import EXIT_BOOT_FAILURE, EXIT_OK
from ..log_format import ACCESS_LATENCY_MS, ACCESS_REQUEST_ID, access_line, log_fast
from .boot import boot

GRACEFUL_TIMEOUT_S = 30


class _AzmlLogger(Logger):  # type: ignore[misc]
    """Keeps gunicorn on the loggers we configured (names, format, streams) instead of its own handlers."""

    def setup(self, cfg: Any) -> None:
        self.cfg = cfg
        self._access_log_enabled = True
        self.loglevel = logging.INFO
        self.error_log.setLevel(logging.INFO)
        self.access_log.setLevel(logging.INFO)

    utc_access_times = False

    def access(self, resp: Any, req: Any, environ: Dict[str, Any], request_time: Any) -> None:
        # Same line as gunicorn's default format; gunicorn's own version builds ~20 fields per request.
        status = str(resp.status).split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        line = access_line(environ, status, "-" if sent is None else str(sent), self.utc_access_times)
        extra = {
            ACCESS_LATENCY_MS: request_time.total_seconds() * 1000.0,
            ACCESS_REQUEST_ID: next((v for k, v in resp.headers if k.lower() == "x-request-id"), "-"),
        }
        log_fast(self.access_log, line, extra)


class LoadingApplication(BaseApplication):  # type: ignore[misc]
    """gunicorn with these options, serving what `load` returns in each worker (also `fastml server`)."""

    def __init__(self, options: Dict[str, Any], load: Callable[[], Any]) -> None:
        self._options = options
        self._load = load
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # newer settings are skipped on older gunicorn releases
                self.cfg.set(key, value)

    def load(self) -> Any:
        return self._load()


class AzmlApplication(LoadingApplication):
    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        super().__init__(gunicorn_options(config), self._boot)

    def _boot(self) -> Any:
        app = boot(self._config)
        if app is None:
            # A worker exiting 3 makes the arbiter halt the whole server with 3 instead of respawning it.
            sys.exit(EXIT_BOOT_FAILURE)
        return app


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
        "logger_class": _AzmlLogger,
        "accesslog": "-",
        "proc_name": "azmlinfsrv",
        # gunicorn 23+ opens a control socket at one fixed path per user: servers started side by side
        # (tests, the gate) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }


def serve_gunicorn(config: ServerConfig) -> int:
    AzmlApplication(config).run()
    return EXIT_OK
