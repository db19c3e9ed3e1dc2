"""`/score` answered without Flask's routing and request context, for every input mode.

For a small model, Flask's per-request machinery (request object, contexts, URL matching, response finalising)
costs more than everything else the server does, so this path answers the commonest requests directly. It gives
the same response as the Flask path in every case, failures included, and the same telemetry records
(tests/server/test_fast_score.py sends the same requests through both and compares status, headers, body, log
lines and records). It is used only where nothing can tell the two apart:

* `run()` cannot reach Flask (`flask_free`): `flask.request`, `flask.g` and the like exist only inside Flask's
  request context, and functions such as `flask.jsonify` need its application context. Any input mode
  (undecorated, inference-schema, `@rawhttp`) and `request_headers` are served;
* the WSGI server terminates the input stream (gunicorn and waitress do), so the body is read exactly as
  werkzeug reads it;
* the method is POST (also GET for `@rawhttp`, whose run() answers every method); for an undecorated run() the
  body is not a form (the Flask path logs a warning and passes an empty string).

Everything else goes to Flask (GET queries of the other modes, OPTIONS, HEAD), as does any request this path
declines. A `@rawhttp` run() receives the request object Flask would build (fast_request.py).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, FrozenSet, Iterable, Optional, Union

import flask
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response as WerkzeugResponse

from ..compat.aml_request import AMLRequest
from ..script.entry import HEADERS_PARAM, EntryScript
from ..script.invoke import (
    EXEC_MS_HEADER,
    FAILED_HEADER,
    Invoker,
    body_response,
    message_response,
    serialise,
    to_response,
    unhandled_response,
    with_run_headers,
)
from ..script.modes import FORM_TYPES, InputError, body_text, schema_kwargs, schema_post_body
from .dispatch import StartResponse
from .fast_request import BoundRequest, RawRequests
from .flask_free import flask_free
from .ids import NO_IDS, telemetry_ids
from .records import Started, send_request_record
from .wsgi_response import send_response


class _Plain:
    """The plain success response, written as a header list: building a Response object costs more."""

    __slots__ = ("data", "elapsed_ms")

    def __init__(self, data: bytes, elapsed_ms: float) -> None:
        self.data = data
        self.elapsed_ms = elapsed_ms

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(self.data))),
                (FAILED_HEADER, "False"),
                (EXEC_MS_HEADER, f"{self.elapsed_ms:.3f}"),
            ],
        )
        return [self.data]

    def as_response(self) -> WerkzeugResponse:
        """The same response as an object, as the Flask path builds it (for the telemetry record)."""
        return with_run_headers(body_response(self.data.decode("utf-8")), self.elapsed_ms)


Answer = Union[WerkzeugResponse, _Plain]


Kwargs = Dict[str, Any]
# A request's run() arguments: from its environ, or for @rawhttp from the request object made for it.
Arguments = Callable[[Dict[str, Any], Optional[BoundRequest]], Kwargs]


class FastScore:
    """A WSGI app for the requests `accepts()` says yes to; the dispatcher routes everything else to Flask."""

    def __init__(self, invoker: Invoker, raw_requests: Optional[RawRequests]) -> None:
        entry = invoker.entry
        self._invoker = invoker
        self._telemetry = invoker.telemetry
        self._raw = raw_requests if entry.mode == "raw" else None
        self._methods: FrozenSet[str] = frozenset(("POST", "GET") if self._raw is not None else ("POST",))
        # Only an undecorated run() sees a form differently (Flask's warning and an empty string).
        self._forms = entry.mode != "json"
        self._arguments = _arguments(entry)

    def accepts(self, environ: Dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") not in self._methods or "wsgi.input_terminated" not in environ:
            return False
        return self._forms or mimetype(environ) not in FORM_TYPES

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        telemetry = self._telemetry
        started = Started() if telemetry is not None else None
        # Made before anything can fail, as Flask makes it when the request context is created.
        bound = self._raw.bind(environ) if self._raw is not None else None
        try:
            try:
                answer = self._answer(environ, bound)
            except Exception as exc:
                # What the Flask path's handler does with an exception no step handled.
                answer = unhandled_response(exc)
            if telemetry is not None and started is not None:
                response = answer.as_response() if isinstance(answer, _Plain) else answer
                request = bound.request if bound is not None else AMLRequest(environ)
                send_request_record(telemetry, request, response, started)
                answer = response
            if isinstance(answer, _Plain):
                return answer(environ, start_response)
            return send_response(answer, environ, start_response)
        finally:
            if bound is not None:
                bound.close()  # after the response is made, as Flask pops its context

    def _answer(self, environ: Dict[str, Any], bound: Optional[BoundRequest]) -> Answer:
        try:
            kwargs = self._arguments(environ, bound)
        except InputError as exc:
            return message_response(exc.status, exc.message)
        ids = telemetry_ids(environ) if self._telemetry is not None else NO_IDS
        outcome = self._invoker.run_timed(kwargs, ids)
        if isinstance(outcome, WerkzeugResponse):
            return outcome
        result, elapsed_ms = outcome
        if isinstance(result, WerkzeugResponse):
            return with_run_headers(to_response(result), elapsed_ms)
        body = serialise(result)
        if body is None:
            return body_response(None)  # our own 500: no run headers, as on Flask
        return _Plain(body.encode("utf-8"), elapsed_ms)


@functools.lru_cache(maxsize=256)
def _parsed_mimetype(content_type: str) -> str:
    return parse_options_header(content_type)[0].lower()


def mimetype(environ: Dict[str, Any]) -> str:
    """The request's mimetype, as werkzeug's `Request.mimetype` gives it."""
    return _parsed_mimetype(environ.get("CONTENT_TYPE", ""))


def _arguments(entry: EntryScript) -> Arguments:
    """How this script's run() arguments are made: as script/modes.run_kwargs makes them for a POST."""
    param = entry.data_param

    def undecorated(environ: Dict[str, Any], bound: Optional[BoundRequest]) -> Kwargs:
        return {param: body_text(environ["wsgi.input"].read())}

    def decorated(environ: Dict[str, Any], bound: Optional[BoundRequest]) -> Kwargs:
        return schema_kwargs(entry, schema_post_body(mimetype(environ), environ["wsgi.input"].read))

    def raw(environ: Dict[str, Any], bound: Optional[BoundRequest]) -> Kwargs:
        assert bound is not None
        return {param: bound.proxy}

    base = {"json": undecorated, "schema": decorated, "raw": raw}[entry.mode]
    if not entry.wants_headers:
        return base

    def with_headers(environ: Dict[str, Any], bound: Optional[BoundRequest]) -> Kwargs:
        kwargs = base(environ, bound)
        kwargs[HEADERS_PARAM] = dict(EnvironHeaders(environ))  # what `dict(request.headers)` gives
        return kwargs

    return with_headers


def serves(entry: EntryScript) -> bool:
    """Whether the fast path may answer for this script: its run() cannot reach Flask (see flask_free.py)."""
    return flask_free(entry)


def fast_score(invoker: Invoker, app: flask.Flask) -> Optional[FastScore]:
    """The fast path for this script in `app` (whose `/score` route it stands in for), or None when only the
    Flask path gives production's behaviour.

    With telemetry on (the invoker's), it sends the same records as the Flask path.
    """
    if not serves(invoker.entry):
        return None
    return FastScore(invoker, RawRequests(app) if invoker.entry.mode == "raw" else None)
