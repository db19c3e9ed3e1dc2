"""The headers middleware, the outer layer of every request (contract §6.1, §6.2, §12).

It merges repeated slashes, resolves the request ids (answering 431 for over-long ones), adds the id, server
version and CORS headers to every response and logs the request line. As a thin WSGI middleware rather than Flask
hooks it covers every route, routing errors included, and the hot path appends a few header tuples instead of
going through Flask hooks and `Headers.set`, which cost more than the rest of a small request.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ..log_lines import log_fast
from .cors import CorsPolicy
from .ids import CLIENT_REQUEST_ID, IDS_KEY, MS_REQUEST_ID, REQUEST_ID, TRACE_ID, EnvironHeaders, resolve_ids

logger = logging.getLogger("azmlinfsrv")
SERVER_VERSION_HEADER = "x-ms-server-version"
# Headers the server owns: a script's own values for them are dropped, so each appears once.
_OWNED = frozenset(
    h.lower() for h in (REQUEST_ID, MS_REQUEST_ID, CLIENT_REQUEST_ID, TRACE_ID, SERVER_VERSION_HEADER)
)
LOGGED_PATHS = ("/score", "/swagger.json")
_SLASHES = re.compile(r"/{2,}")

Headers = List[Tuple[str, str]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Dict[str, Any], StartResponse], Iterable[bytes]]
# Whether a (path, method) pair reaches a route: over-long ids are refused only there (see `ServerHeaders`).
Routed = Callable[[str, str], bool]
_ALLOW_ORIGIN = "access-control-allow-origin"


class ServerHeaders:
    """The outer WSGI middleware: merges repeated slashes, answers 431 for over-long ids, adds the id, version and
    CORS headers to every response, and logs one line per /score and /swagger.json request.

    It wraps the dispatcher (dispatch.py) and knows nothing of what answers: the request ids it resolves travel in
    the environ (`ids.IDS_KEY`) for the layers below. As upstream, where the id check is a hook of the routes, an
    over-long id is refused with 431 only for a request that reaches a route (`routed`); a routing 404/405 stays
    one. A response that already carries `Access-Control-Allow-Origin` (set by the script) gets no CORS headers,
    as flask-cors leaves such a response alone.
    """

    def __init__(
        self, app: WSGIApp, server_version: Optional[str], cors: Optional[CorsPolicy], routed: Routed
    ) -> None:
        self._app = app
        self._version: Headers = [(SERVER_VERSION_HEADER, server_version)] if server_version else []
        self._cors = cors
        self._routed = routed

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            # As upstream, //score is /score: merged before routing, without a redirect.
            path = environ["PATH_INFO"] = _SLASHES.sub("/", path)
        ids = resolve_ids(EnvironHeaders(environ))
        environ[IDS_KEY] = ids
        extra = ids.header_pairs() + self._version
        cors = self._cors_headers(environ, path)
        seen: List[str] = []

        def start(status: str, headers: Headers, exc_info: Any = None) -> Any:
            seen.append(status)
            owned = [h for h in headers if h[0].lower() not in _OWNED]
            if len(owned) != len(headers):
                headers[:] = owned
            headers.extend(extra)
            if cors and not any(h[0].lower() == _ALLOW_ORIGIN for h in headers):
                headers.extend(cors)
            if path in LOGGED_PATHS:
                seen.append(next((v for k, v in headers if k.lower() == "content-length"), "N/A"))
            return start_response(status, headers, exc_info)

        refused = ids.error is not None and self._routed(path, environ.get("REQUEST_METHOD", "GET"))
        result = _reject(str(ids.error), start) if refused else self._app(environ, start)
        if path in LOGGED_PATHS and len(seen) == 2:
            _log_request(environ, path, seen[0], seen[1], started)
        return result

    def _cors_headers(self, environ: Dict[str, Any], path: str) -> Headers:
        if self._cors is None:
            return []
        return self._cors.headers(environ.get("REQUEST_METHOD", ""), path, EnvironHeaders(environ))


def _reject(message: str, start: StartResponse) -> Iterable[bytes]:
    body = json.dumps({"message": message}).encode()
    start(
        "431 Request Header Fields Too Large",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("x-ms-run-function-failed", "False"),
        ],
    )
    return [body]


def _log_request(environ: Dict[str, Any], path: str, status: str, length: str, started: float) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    query = environ.get("QUERY_STRING")
    target = f"{path}?{query}" if query else path
    elapsed = (time.perf_counter() - started) * 1000.0
    # Request text goes in the arguments, which logging escapes (log_format.escape_record).
    method = environ.get("REQUEST_METHOD", "-")
    log_fast(logger, "%s %s %s %.3fms %s", args=(method, target, status.split(" ", 1)[0], elapsed, length))
