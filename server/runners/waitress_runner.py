"""waitress, the upstream Windows path: one process, threads, init() once. Also usable on Linux for tests."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Optional

from ..config import GRACEFUL_TIMEOUT_S, STOP_LINGER_S, ServerConfig
from ..exitcodes import EXIT_BOOT_FAILURE, EXIT_OK
from ..log_format import access_line
from ..log_lines import log_fast
from .boot import boot

MIN_THREADS = 4
DRAIN_POLL_S = 0.05
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
        log_fast(access_log, "%s", args=(access_line(environ, status, length),))


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
    stop = _StopRequest()
    try:
        loaded = boot(config)
        if loaded is None:
            return EXIT_BOOT_FAILURE
        booted.app = loaded.app
        stop.install()
        _serve_until_stopped(server, stop)
        _drain(server, time.monotonic() + GRACEFUL_TIMEOUT_S)
    except KeyboardInterrupt:
        pass  # a second Ctrl-C: stop at once
    finally:
        server.close()
    return EXIT_OK


class _StopRequest:
    """SIGTERM and the first SIGINT ask for a graceful stop; a second SIGINT stops at once (as uvicorn)."""

    requested = False

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._graceful)
        signal.signal(signal.SIGINT, self._interrupt)

    def _graceful(self, signum: int, frame: Optional[FrameType]) -> None:
        self.requested = True

    def _interrupt(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.requested:
            raise KeyboardInterrupt()
        self.requested = True


def _loop_once(server: Any, timeout: float) -> None:
    from waitress import wasyncore

    wasyncore.loop(timeout=timeout, map=_socket_map(server), use_poll=server.adj.asyncore_use_poll, count=1)


def _serve_until_stopped(server: Any, stop: _StopRequest) -> None:
    # The handlers only set a flag (waking the loop from a signal handler could deadlock on the trigger's
    # lock), so a stop is noticed within one loop timeout.
    while not stop.requested:
        _loop_once(server, server.adj.asyncore_loop_timeout)


def _drain(server: Any, deadline: float) -> None:
    """Stopping: accept what the listen backlog holds, stop listening, and answer every request received."""
    from waitress.server import BaseWSGIServer

    for listener in [d for d in _socket_map(server).values() if isinstance(d, BaseWSGIServer)]:
        while listener.accepting and _accept_one(listener):
            pass
        listener.accepting = False
        listener.del_channel()
        listener.socket.close()
    linger_until = time.monotonic() + STOP_LINGER_S
    while time.monotonic() < deadline:
        channels = _channels(server)
        if not any(map(_busy, channels)) and (time.monotonic() >= linger_until or not channels):
            return
        _loop_once(server, DRAIN_POLL_S)


def _accept_one(listener: Any) -> bool:
    before = len(listener._map)
    listener.handle_accept()
    return len(listener._map) > before


def _socket_map(server: Any) -> Dict[int, Any]:
    socket_map: Dict[int, Any] = (
        server.map if hasattr(server, "map") else server._map
    )  # several listeners, or one
    return socket_map


def _channels(server: Any) -> List[Any]:
    from waitress.channel import HTTPChannel

    return [d for d in _socket_map(server).values() if isinstance(d, HTTPChannel)]


def _busy(channel: Any) -> bool:
    """A request is being read, run or answered on this connection."""
    return bool(
        channel.requests or channel.total_outbufs_len or getattr(channel, "request", None) is not None
    )
