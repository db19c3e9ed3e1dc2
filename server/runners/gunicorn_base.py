"""What azmlinfsrv and `fastml server` share of gunicorn: the application that serves what a loader returns in
each worker, the arbiter that stops gracefully on the first Ctrl-C, and the logger class that keeps gunicorn on our
logging configuration."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any, Callable, Dict, Optional

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger
from gunicorn.workers.base import Worker

from ..config import DEFAULT_HEADER_TIMEOUT_S
from ..log_format import ACCESS_LATENCY_MS, ACCESS_REQUEST_ID, access_line
from ..log_lines import log_fast
from .loaded import LoadedWorker


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
        log_fast(self.access_log, "%s", extra, (line,))


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}


class OurWorker(Worker):  # type: ignore[misc]
    """Mixed into our worker classes. The first SIGINT stops the worker as gracefully as SIGTERM (a Ctrl-C in a
    terminal reaches the workers too, not only the master), a second one at once, as gunicorn's SIGINT always does.
    What the loader returns may be a LoadedWorker: its app serves, its settings and probe go to the worker.
    """

    _sigints = 0
    # How long the current run() call has been busy; None until loaded, and for apps that are not a LoadedWorker.
    _busy_for: Optional[Callable[[], Optional[float]]] = None
    _header_timeout_s = DEFAULT_HEADER_TIMEOUT_S

    def load_wsgi(self) -> None:
        super().load_wsgi()
        loaded: object = getattr(self, "wsgi", None)
        if isinstance(loaded, LoadedWorker):
            self.wsgi = loaded.app
            self._busy_for = loaded.busy_for
            self._header_timeout_s = loaded.header_timeout_s

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGINT, self.handle_int)
        # The stop signals were blocked across the fork (GracefulArbiter.spawn_worker); the handlers are in place.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def handle_int(self, sig: int, frame: Any) -> None:
        self._sigints += 1
        if self._sigints > 1:
            self.handle_quit(sig, frame)
        self.handle_exit(sig, frame)


class GracefulArbiter(Arbiter):  # type: ignore[misc]
    def handle_int(self) -> None:
        # gunicorn stops at once on SIGINT; the first Ctrl-C is as graceful as SIGTERM here, as in uvicorn. A
        # second one, arriving while the workers finish, makes gunicorn's stop() quit them at once.
        self.handle_term()

    def spawn_worker(self) -> Any:
        # A stop signal that reaches a new worker before gunicorn has installed the worker's own handlers
        # lands in the master's handlers the child inherited and is lost; the master then waits the whole
        # graceful timeout before killing it. Blocked across the fork, the signal stays pending in the child
        # until the worker unblocks it, after those handlers are in place. (The parent unblocks here.)
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            return super().spawn_worker()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


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

    def run(self) -> None:
        try:
            GracefulArbiter(self).run()
        except RuntimeError as exc:  # what gunicorn's own run() turns into exit 1
            sys.stderr.write(self.failure_text(exc))
            sys.stderr.flush()
            sys.exit(1)

    def failure_text(self, exc: RuntimeError) -> str:
        return f"\nError: {exc}\n\n"  # gunicorn's own wording
