"""`fastml server` as gunicorn: this process is the master; every worker loads the services, then serves.

The gunicorn set-up is azmlinfsrv's (runners/gunicorn_base.py) with fastml's options: gthread workers with a
few spare threads beyond `--threads`, so `/health` is answered while every inference slot is busy (the slots
themselves are execution.InferencePool), and SIGINT stops as gracefully as SIGTERM.
"""

from __future__ import annotations

import logging
import logging.config
import math
import os
import signal
import sys
from dataclasses import dataclass
from typing import Any, Dict

import flask
from gunicorn.arbiter import Arbiter

from ..exitcodes import EXIT_BOOT_FAILURE, EXIT_OK
from ..logs.files import LIFECYCLE_LOGGER, AppFormatter, ErrorFormatter, attach_log_files
from ..runners.gunicorn_base import LoadingApplication, ServerLogger
from ..unified.services import ServiceLoadError
from . import aliases
from .app import create_fastml_app
from .execution import InferencePool
from .services import load_fastml_services

# Request threads beyond --threads: health checks and queued requests wait on these, not on an inference.
SPARE_THREADS = 16
# gunicorn kills a worker whose heartbeat stops for this long; a worker sends none while load_context() runs.
HEARTBEAT_TIMEOUT_S = 600
DEFAULT_GRACE_S = 30
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}
lifecycle = logging.getLogger(LIFECYCLE_LOGGER)


@dataclass(frozen=True)
class FastmlOptions:
    service_path: str  # absolute
    model_path: str  # absolute
    host: str
    port: int
    workers: int
    threads: int
    timeout_s: float  # 0: no limit

    @property
    def log_dir(self) -> str:
        return os.path.join(self.service_path, "logs")


def configure_logging(options: FastmlOptions) -> str:
    """Console logging, then the three log files; returns the log folder. OSError if it cannot be made."""
    logging.config.dictConfig(_console_config())
    return attach_log_files(options.log_dir)


def _console_config() -> Dict[str, Any]:
    stdout = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"app": {"()": AppFormatter}, "errors": {"()": ErrorFormatter}},
        "handlers": {"app": {**stdout, "formatter": "app"}, "lifecycle": {**stdout, "formatter": "errors"}},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["lifecycle"], "propagate": False},
            # Access lines go to access.log only (attach_log_files), as in fastml-engine 1.0.7.
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        # app.log's content, copied to stdout: user code's logging and the engine's lines.
        "root": {"level": "INFO", "handlers": ["app"]},
    }


def serve(options: FastmlOptions) -> int:
    """Run the server until it is stopped; returns (or exits with) its exit code."""
    os.environ["SERVICE_PATH"] = options.service_path
    os.environ["MODEL_PATH"] = options.model_path
    aliases.install()
    lifecycle.info(
        "Starting fastml server: service path %s, model path %s, %d worker(s), %d thread(s), timeout %s",
        options.service_path,
        options.model_path,
        options.workers,
        options.threads,
        f"{options.timeout_s:g} s" if options.timeout_s > 0 else "none",
    )
    FastmlApplication(options).run()
    return EXIT_OK


def gunicorn_options(options: FastmlOptions) -> Dict[str, Any]:
    host = f"[{options.host}]" if ":" in options.host else options.host
    return {
        "bind": [f"{host}:{options.port}"],
        "workers": options.workers,
        "worker_class": "gthread",
        "threads": options.threads + SPARE_THREADS,
        "timeout": HEARTBEAT_TIMEOUT_S,
        # In-flight requests may finish within --timeout after SIGTERM.
        "graceful_timeout": math.ceil(options.timeout_s) + 1 if options.timeout_s > 0 else DEFAULT_GRACE_S,
        "logger_class": FastmlLogger,
        "accesslog": "-",
        "proc_name": "fastml",
        "control_socket_disable": True,
    }


class FastmlLogger(ServerLogger):
    """azmlinfsrv's gunicorn logger (our logging configuration), with access-line times in UTC."""

    utc_access_times = True


class _GracefulArbiter(Arbiter):  # type: ignore[misc]
    def handle_int(self) -> None:
        # gunicorn stops at once on SIGINT; the contract wants Ctrl-C to be as graceful as SIGTERM.
        self.handle_term()

    def spawn_worker(self) -> Any:
        # A stop signal that reaches a new worker before gunicorn has installed the worker's own handlers
        # lands in the master's handlers the child inherited and is lost; the master then waits the whole
        # graceful timeout before killing it. Blocked across the fork, the signal stays pending in the child
        # until load_worker unblocks it, after those handlers are in place. (The parent unblocks here.)
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            return super().spawn_worker()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


class FastmlApplication(LoadingApplication):
    def __init__(self, options: FastmlOptions) -> None:
        super().__init__(gunicorn_options(options), lambda: load_worker(options))

    def run(self) -> None:
        try:
            _GracefulArbiter(self).run()
        except RuntimeError as exc:  # what gunicorn's own run() turns into exit 1
            sys.stderr.write(f"fastml: {exc}\n")
            sys.exit(1)


def load_worker(options: FastmlOptions) -> flask.Flask:
    """Load every service in this worker before it serves; on failure log why and exit 3 (gunicorn halts)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # see _GracefulArbiter.spawn_worker
    pool = InferencePool(options.threads, options.timeout_s)
    try:
        services = load_fastml_services(options.service_path, options.model_path, pool.call)
    except ServiceLoadError as exc:
        lifecycle.error("Cannot load the services: %s", exc, exc_info=exc.__cause__ or exc)
        sys.stderr.write(f"fastml: cannot load the services: {exc}\n")
        sys.stderr.flush()
        # A worker exiting 3 makes gunicorn's arbiter stop the whole server with 3 instead of respawning it.
        sys.exit(EXIT_BOOT_FAILURE)
    lifecycle.info("Worker %d loaded services: %s", os.getpid(), ", ".join(services.names))
    return create_fastml_app(services)
