"""The telemetry request record (contract §15), sent once per request by whichever path answered it.

The Flask path sends it from an `after_request` hook, the fast path after building its response; both describe
the request and response the same way here, so a script's records do not depend on the path it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from ..telemetry import Telemetry, response_value, utc_now
from .ids import telemetry_ids

LIVENESS_PATH = "/"


@dataclass(frozen=True)
class Started:
    """When a request started: a monotonic clock for its duration and the wall-clock time for the record."""

    clock: float = field(default_factory=time.perf_counter)
    at: datetime = field(default_factory=utc_now)


def send_request_record(
    telemetry: Telemetry, request: WerkzeugRequest, response: WerkzeugResponse, started: Started
) -> None:
    """The request record for every request but the liveness probe `GET /`."""
    if request.path == LIVENESS_PATH:
        return
    body = None
    if not response.is_streamed:
        body = response_value(response.get_data(), response.mimetype == "application/json")
    telemetry.request(
        path=request.path,
        method=request.method,
        url=request.url,
        started=started.at,
        seconds=time.perf_counter() - started.clock,
        status=response.status_code,
        ids=telemetry_ids(request.environ),
        body=body,
    )
