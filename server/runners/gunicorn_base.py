"""What azmlinfsrv and `fastml server` share of gunicorn: the application that serves what a loader returns in
each worker, and the logger class that keeps gunicorn on our logging configuration."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ..log_format import ACCESS_LATENCY_MS, ACCESS_REQUEST_ID, access_line, log_fast


class ServerLogger(Logger):  # type: ignore[misc]
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
