"""A werkzeug response written to the WSGI server directly, when that gives exactly what `Response.__call__` gives.

`Response.__call__` copies the header list, scans it for Location, Content-Location and Content-Length, and wraps
the body in a closing iterator: for a small response from run() that costs more than the rest of the request. For
the common case, a plain response class holding a buffered body of bytes, the status line, header list and body
werkzeug would send are the response's own, so they are sent as they are. Anything else (a subclass, a streamed
or text body, `direct_passthrough`, close callbacks, HEAD, a status without a body, a Location or Content-Location
header that werkzeug rewrites, a missing Content-Length that it computes) takes werkzeug's own path.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

import flask
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as WerkzeugResponse

from ..compat.aml_response import AMLResponse
from .dispatch import StartResponse

# Classes that override none of the methods `Response.__call__` goes through.
_PLAIN_CLASSES = frozenset((WerkzeugResponse, flask.Response, AMLResponse))
_REWRITTEN = frozenset(("location", "content-location"))
_NO_BODY = (204, 304)


def send_response(
    response: WerkzeugResponse, environ: Dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """What `response(environ, start_response)` does, directly where that is proven identical."""
    headers = _direct_headers(response, environ)
    if headers is None:
        return response(environ, start_response)
    start_response(response.status, headers)
    body: List[bytes] = list(response.response)  # type: ignore[arg-type]  # checked: bytes only
    return body


def _direct_headers(response: WerkzeugResponse, environ: Dict[str, Any]) -> Optional[List[Tuple[str, str]]]:
    """The header list werkzeug would send, when the response may be written directly; else None."""
    if (
        type(response) not in _PLAIN_CLASSES
        or type(response.headers) is not Headers
        or response.direct_passthrough
        or response._on_close
        or environ.get("REQUEST_METHOD") == "HEAD"
        or response.status_code < 200
        or response.status_code in _NO_BODY
    ):
        return None
    body = response.response
    if type(body) is not list or any(type(chunk) is not bytes for chunk in body):
        return None
    headers = response.headers.to_wsgi_list()
    has_length = False
    for name, _ in headers:
        lowered = name.lower()
        if lowered in _REWRITTEN:
            return None
        has_length = has_length or lowered == "content-length"
    return headers if has_length else None
