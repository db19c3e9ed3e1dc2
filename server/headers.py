"""Request ids, the server-version header and the 431 limits on id headers (contract §6.1, §6.2)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Dict, Optional

from werkzeug.datastructures import Headers

logger = logging.getLogger("azmlinfsrv")
REQUEST_ID = "x-request-id"
MS_REQUEST_ID = "x-ms-request-id"
CLIENT_REQUEST_ID = "x-ms-client-request-id"
TRACE_ID = "TraceId"
ID_LIMIT = 100
REQUEST_ID_TOO_LONG = "x-request-id must not exceed 100 characters"
MS_IDS_TOO_LONG = "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"


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


def resolve_ids(headers: Headers) -> RequestIds:
    sent_a = headers.get(REQUEST_ID)
    sent_b = headers.get(MS_REQUEST_ID)
    sent_c = headers.get(CLIENT_REQUEST_ID)
    trace = headers.get(TRACE_ID)
    if sent_a is not None and len(sent_a) > ID_LIMIT:
        return RequestIds(None, None, None, trace, REQUEST_ID_TOO_LONG)
    request_id = sent_a or str(uuid.uuid4())
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


def apply_ids(ids: RequestIds, headers: Headers, server_version: Optional[str]) -> None:
    if server_version:
        headers["x-ms-server-version"] = server_version
    if ids.request_id is not None:
        headers[REQUEST_ID] = ids.request_id
    if ids.ms_request_id is not None:
        headers[MS_REQUEST_ID] = ids.ms_request_id
    if ids.client_request_id is not None:
        headers[CLIENT_REQUEST_ID] = ids.client_request_id
    if ids.trace_id is not None:
        headers[TRACE_ID] = ids.trace_id
