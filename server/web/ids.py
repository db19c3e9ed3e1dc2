"""Request ids (contract §6.1, §6.2): what the client sent, what the response carries, and the 431 limits.

Resolved once per request by the headers middleware (middleware.py), which stores them in the WSGI environ under
`IDS_KEY`; everything later reads them from there (`request_ids`) and hands them on as values.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple

logger = logging.getLogger("azmlinfsrv")
IDS_KEY = "azmlinfsrv.request_ids"
REQUEST_ID = "x-request-id"
MS_REQUEST_ID = "x-ms-request-id"
CLIENT_REQUEST_ID = "x-ms-client-request-id"
TRACE_ID = "TraceId"
ID_LIMIT = 100
# The ids handed on when nothing records them (telemetry off): saves building them per request.
NO_IDS: Mapping[str, str] = MappingProxyType({})
REQUEST_ID_TOO_LONG = "x-request-id must not exceed 100 characters"
MS_IDS_TOO_LONG = "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"

Headers = List[Tuple[str, str]]


@dataclass(frozen=True)
class RequestIds:
    """The ids a response carries; `None` or an empty id (a client's empty x-request-id) is not sent."""

    request_id: Optional[str]
    ms_request_id: Optional[str]
    client_request_id: Optional[str]
    trace_id: Optional[str]
    # Set when an id header is too long: the request is answered 431 with this message.
    error: Optional[str] = None

    def as_telemetry(self) -> Dict[str, str]:
        return {"request_id": self.request_id or "", "client_request_id": self.client_request_id or ""}

    def header_pairs(self) -> Headers:
        # As upstream, an empty id is not echoed (a client that sends `x-request-id:` empty gets none back), but
        # an empty TraceId is.
        pairs = [
            (name, value)
            for name, value in (
                (REQUEST_ID, self.request_id),
                (MS_REQUEST_ID, self.ms_request_id),
                (CLIENT_REQUEST_ID, self.client_request_id),
            )
            if value
        ]
        if self.trace_id is not None:
            pairs.append((TRACE_ID, self.trace_id))
        return pairs


def resolve_ids(headers: Any) -> RequestIds:
    """`headers` is anything with `.get(name)` over the request headers (a dict-like view of the environ).

    The order is upstream's: an over-long x-request-id is refused first, then a non-empty x-ms-request-id logs
    the deprecation warning, then the x-ms-* lengths are checked (so an over-long one is warned about, then 431).
    """
    sent_a = headers.get(REQUEST_ID)
    sent_b = headers.get(MS_REQUEST_ID)
    sent_c = headers.get(CLIENT_REQUEST_ID)
    trace = headers.get(TRACE_ID)
    if sent_a is not None and len(sent_a) > ID_LIMIT:
        return RequestIds(None, None, None, trace, REQUEST_ID_TOO_LONG)
    # Only a missing x-request-id gets a fresh one: an empty one stays empty, and is not echoed (upstream).
    request_id = new_request_id() if sent_a is None else sent_a
    if sent_b:
        logger.warning(
            "x-ms-request-id header has been deprecated and will be removed from future versions of the server. "
            "Please use x-ms-client-request-id."
        )
    if (sent_b is not None and len(sent_b) > ID_LIMIT) or (sent_c is not None and len(sent_c) > ID_LIMIT):
        return RequestIds(request_id, None, None, trace, MS_IDS_TOO_LONG)
    # The deprecated x-ms-request-id echoes, in order: B, then C, then the request id.
    ms_request_id = sent_b or sent_c or request_id
    client_request_id = sent_c or sent_b or None
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
    """The ids the middleware resolved for this request (None outside the middleware, as in unit tests)."""
    ids = environ.get(IDS_KEY)
    return ids if isinstance(ids, RequestIds) else None


def telemetry_ids(environ: Dict[str, Any]) -> Dict[str, str]:
    """The ids a telemetry record names, for the request of `environ`."""
    ids = request_ids(environ)
    return ids.as_telemetry() if ids is not None else {}


def current_request_id(environ: Dict[str, Any]) -> str:
    """The request id of this request: the resolved one, or a fresh one outside the middleware."""
    ids = request_ids(environ)
    request_id = ids.request_id if ids is not None else None
    return request_id if isinstance(request_id, str) else new_request_id()
