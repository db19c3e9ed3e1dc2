"""Request ids, the server-version header, CORS and the 431 limits on id headers (contract §6.1, §6.2, §12).

Applied by `ServerHeaders`, a thin WSGI middleware around the Flask app, so that every route (routing errors
included) gets them, and so the hot path appends a few header tuples instead of going through Flask hooks and
`Headers.set`, which cost more than the rest of a small request.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, Tuple

from .cors import CorsPolicy
from .log_format import log_fast

logger = logging.getLogger("azmlinfsrv")
IDS_KEY = "azmlinfsrv.request_ids"
REQUEST_ID = "x-request-id"
MS_REQUEST_ID = "x-ms-request-id"
CLIENT_REQUEST_ID = "x-ms-client-request-id"
TRACE_ID = "TraceId"
SERVER_VERSION_HEADER = "x-ms-server-version"
ID_LIMIT = 100
REQUEST_ID_TOO_LONG = "x-request-id must not exceed 100 characters"
MS_IDS_TOO_LONG = "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"
# Headers the server owns: a script's own values for them are dropped, so each appears once.
_OWNED = frozenset(
    h.lower() for h in (REQUEST_ID, MS_REQUEST_ID, CLIENT_REQUEST_ID, TRACE_ID, SERVER_VERSION_HEADER)
)
LOGGED_PATHS = ("/score", "/swagger.json")
_SLASHES = re.compile(r"/{2,}")

Headers = List[Tuple[str, str]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Dict[str, Any], StartResponse], Iterable[bytes]]


class FastPath(Protocol):
    """A WSGI app that answers some requests for one path itself (see fast_score.py)."""

    def accepts(self, environ: Dict[str, Any]) -> bool: ...

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]: ...


@dataclass(frozen=True)
class RequestIds:
    """The ids a response carries; `None` means the header is not sent."""

    request_id: Optional[str]
    ms_request_id: Optional[str]
    client_request_id: Optional[str]
    trace_id: Optional[str]
    # Set when an id header is too long: the request is answered 431 with this message.
    error: Optional[str] = None

    def as_telemetry(self) -> Dict[str, str]:
        return {"request_id": self.request_id or "", "client_request_id": self.client_request_id or ""}

    def header_pairs(self) -> Headers:
        pairs = [
            (name, value)
            for name, value in (
                (REQUEST_ID, self.request_id),
                (MS_REQUEST_ID, self.ms_request_id),
                (CLIENT_REQUEST_ID, self.client_request_id),
                (TRACE_ID, self.trace_id),
            )
            if value is not None
        ]
        return pairs


def resolve_ids(headers: Any) -> RequestIds:
    """`headers` is anything with `.get(name)` over the request headers (a dict-like view of the environ)."""
    sent_a = headers.get(REQUEST_ID)
    sent_b = headers.get(MS_REQUEST_ID)
    sent_c = headers.get(CLIENT_REQUEST_ID)
    trace = headers.get(TRACE_ID)
    if sent_a is not None and len(sent_a) > ID_LIMIT:
        return RequestIds(None, None, None, trace, REQUEST_ID_TOO_LONG)
    request_id = sent_a or new_request_id()
    if (sent_b is not None and len(sent_b) > ID_LIMIT) or (sent_c is not None and len(sent_c) > ID_LIMIT):
        return RequestIds(request_id, None, None, trace, MS_IDS_TOO_LONG)
    if sent_b is not None:
        logger.warning(
            "x-ms-request-id header has been deprecated and will be removed from future versions of the server. "
            "Please use x-ms-client-request-id."
        )
    # The deprecated x-ms-request-id echoes, in order: B, then C, then the request id.
    ms_request_id = sent_b or sent_c or request_id
    client_request_id = sent_c or sent_b
    return RequestIds(request_id, ms_request_id, client_request_id, trace)


def new_request_id() -> str:
    """A random (version 4) UUID in its usual text form, made without uuid.UUID, which costs 3x more per request."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class EnvironHeaders:
    """Case-insensitive `.get()` over the request headers of a WSGI environ, without building a Headers object."""

    __slots__ = ("_environ",)

    def __init__(self, environ: Dict[str, Any]) -> None:
        self._environ = environ

    def get(self, name: str) -> Optional[str]:
        value = self._environ.get("HTTP_" + name.upper().replace("-", "_"))
        return None if value is None else str(value)


def request_ids(environ: Dict[str, Any]) -> Optional[RequestIds]:
    ids = environ.get(IDS_KEY)
    return ids if isinstance(ids, RequestIds) else None


class ServerHeaders:
    """WSGI middleware: merges repeated slashes, answers 431 for over-long ids, adds the id, version and CORS
    headers to every response, and logs one line per /score and /swagger.json request."""

    def __init__(
        self,
        app: WSGIApp,
        server_version: Optional[str],
        cors: Optional[CorsPolicy],
        fast_score: Optional[FastPath] = None,
    ) -> None:
        self._app = app
        self._fast = fast_score
        self._version: Headers = [(SERVER_VERSION_HEADER, server_version)] if server_version else []
        self._cors = cors

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            # As upstream, //score is /score: merged before routing, without a redirect.
            path = environ["PATH_INFO"] = _SLASHES.sub("/", path)
        ids = resolve_ids(EnvironHeaders(environ))
        environ[IDS_KEY] = ids
        extra = ids.header_pairs() + self._version + self._cors_headers(environ, path)
        seen: List[str] = []

        def start(status: str, headers: Headers, exc_info: Any = None) -> Any:
            seen.append(status)
            owned = [h for h in headers if h[0].lower() not in _OWNED]
            if len(owned) != len(headers):
                headers[:] = owned
            headers.extend(extra)
            if path in LOGGED_PATHS:
                seen.append(next((v for k, v in headers if k.lower() == "content-length"), "N/A"))
            return start_response(status, headers, exc_info)

        app = self._app
        if path == "/score" and self._fast is not None and self._fast.accepts(environ):
            app = self._fast
        result = _reject(ids.error, start) if ids.error is not None else app(environ, start)
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
    log_fast(
        logger,
        f"{environ.get('REQUEST_METHOD', '-')} {target} {status.split(' ', 1)[0]} {elapsed:.3f}ms {length}",
    )
