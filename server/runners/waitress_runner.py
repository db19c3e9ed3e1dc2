"""waitress, the upstream Windows path: one process, threads, init() once. Also usable on Linux for tests."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Optional

from ..config import ServerConfig
from .boot import EXIT_BOOT_FAILURE, boot

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
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        request_line = (
            f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL', 'HTTP/1.1')}"
        )
        stamp = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime())
        access_log.info(
            '%s - - %s "%s" %s %s "%s" "%s"',
            environ.get("REMOTE_ADDR", "-"),
            stamp,
            request_line,
            status,
            length,
            environ.get("HTTP_REFERER", "-"),
            environ.get("HTTP_USER_AGENT", "-"),
        )


def serve_waitress(config: ServerConfig) -> int:
    import waitress

    app = boot(config)
    if app is None:
        return EXIT_BOOT_FAILURE
    listen = [f"{config.host}:{config.port}"]
    if config.health_enabled and config.health_port != config.port:
        listen.append(f"{config.host}:{config.health_port}")
    # At least a few threads, so GET / answers while run() (serial, see scoring.py) is busy.
    server = waitress.create_server(
        AccessLog(app), listen=" ".join(listen), threads=max(MIN_THREADS, config.worker_count)
    )
    _stop_on_sigterm(server)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def _stop_on_sigterm(server: Any) -> None:
    def stop(signum: int, frame: Optional[FrameType]) -> None:
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, stop)
