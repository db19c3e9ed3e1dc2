"""waitress, the upstream Windows path: one process, threads, init() once. Also usable on Linux for tests."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Optional

from ..config import ServerConfig
from ..exitcodes import EXIT_BOOT_FAILURE, EXIT_OK
from ..log_format import access_line, log_fast
from .boot import boot

MIN_THREADS = 4
access_log = logging.getLogger("gunicorn.access")


class AccessLog:
    """Writes combined-format lines to `gunicorn.access`, so the access log looks the same under waitress."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: List[str] = []

        def record(status: str, headers: List[Any], exc_info: Any = None) -> Any:
            seen.append(status.split(" ", 1)[0])
            seen.append(next((v for k, v in headers if k.lower() == "content-length"), "-"))
            return start_response(status, headers, exc_info)

        result = self._app(environ, record)
        self._log(environ, seen)
        return result

    @staticmethod
    def _log(environ: Dict[str, Any], seen: List[str]) -> None:
        status, length = [*seen, "-", "-"][:2]
        log_fast(access_log, access_line(environ, status, length))


class _BootedApp:
    """Holds the app once init() has run: the socket is bound first, so early connections wait (contract §5)."""

    app: Optional[Callable[..., Iterable[bytes]]] = None

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.app is not None, "requests are served only after boot"
        return self.app(environ, start_response)


def serve_waitress(config: ServerConfig) -> int:
    import waitress

    listen = [f"{config.host}:{config.port}"]
    if config.health_enabled and config.health_port != config.port:
        listen.append(f"{config.host}:{config.health_port}")
    booted = _BootedApp()
    # At least a few threads, so GET / answers while run() (serial, see script/scoring.py) is busy.
    server = waitress.create_server(
        AccessLog(booted), listen=" ".join(listen), threads=max(MIN_THREADS, config.worker_count)
    )
    try:
        loaded = boot(config)
        if loaded is None:
            return EXIT_BOOT_FAILURE
        booted.app = loaded.app
        _stop_on_sigterm(server)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return EXIT_OK


def _stop_on_sigterm(server: Any) -> None:
    def stop(signum: int, frame: Optional[FrameType]) -> None:
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, stop)
