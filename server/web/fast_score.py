"""`POST /score` for an undecorated `run()`, answered without Flask's routing and request context.

For a small model, Flask's per-request machinery (request object, contexts, URL matching, response finalising)
costs more than everything else the server does, so this path answers the commonest request directly. It gives
the same response as the Flask path in every case, failures included, and the same telemetry records
(tests/server/test_fast_score.py sends the same requests through both and compares status, headers, body, log
lines and records). It is used only where nothing can tell the two apart:

* `run()` is undecorated (no `@rawhttp`, no inference-schema: the `json` input mode) and has no
  `request_headers` parameter;
* `run()` cannot reach Flask (`flask_free`): `flask.request`, `flask.g` and the like exist only inside Flask's
  request context, and functions such as `flask.jsonify` need its application context;
* the body is not a form (the Flask path logs a warning and passes an empty string) and the WSGI server
  terminates the input stream (gunicorn and waitress do), so the body is read exactly as werkzeug reads it.

Everything else goes to Flask, as does any request this path declines.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, Optional, Union

from werkzeug.exceptions import InternalServerError
from werkzeug.wrappers import Response as WerkzeugResponse

from ..compat.aml_request import AMLRequest
from ..script.invoke import (
    EXEC_MS_HEADER,
    FAILED_HEADER,
    Invoker,
    body_response,
    json_response,
    message_response,
    serialise,
    to_response,
    with_run_headers,
)
from ..script.modes import FORM_TYPES, InputError, body_text
from .dispatch import FAST_PATH, StartResponse
from .flask_free import flask_free
from .ids import NO_IDS, telemetry_ids
from .records import Started, send_request_record

logger = logging.getLogger("azmlinfsrv")


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


class FastScore:
    """A WSGI app for the requests `accepts()` says yes to; the dispatcher routes everything else to Flask."""

    def __init__(self, invoker: Invoker, data_param: str) -> None:
        self._invoker = invoker
        self._data_param = data_param
        self._telemetry = invoker.telemetry

    @staticmethod
    def accepts(environ: Dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") != "POST" or "wsgi.input_terminated" not in environ:
            return False
        mimetype = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        return mimetype not in FORM_TYPES

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        telemetry = self._telemetry
        started = Started() if telemetry is not None else None
        try:
            answer = self._answer(environ)
        except Exception:
            # What Flask does with an exception its view let through: log it, answer the generic 500.
            logger.error("Exception on %s [POST]", FAST_PATH, exc_info=True)
            answer = json_response(500, {"message": InternalServerError.description})
        if telemetry is not None and started is not None:
            response = answer.as_response() if isinstance(answer, _Plain) else answer
            send_request_record(telemetry, AMLRequest(environ), response, started)
            answer = response
        return answer(environ, start_response)

    def _answer(self, environ: Dict[str, Any]) -> Answer:
        try:
            text = body_text(environ["wsgi.input"].read())
        except InputError as exc:
            return message_response(exc.status, exc.message)
        ids = telemetry_ids(environ) if self._telemetry is not None else NO_IDS
        outcome = self._invoker.run_timed({self._data_param: text}, ids)
        if isinstance(outcome, WerkzeugResponse):
            return outcome
        result, elapsed_ms = outcome
        if isinstance(result, WerkzeugResponse):
            return with_run_headers(to_response(result), elapsed_ms)
        body = serialise(result)
        if body is None:
            return body_response(None)  # our own 500: no run headers, as on Flask
        return _Plain(body.encode("utf-8"), elapsed_ms)


def fast_score(invoker: Invoker) -> Optional[FastScore]:
    """The fast path for this script, or None when only the Flask path gives production's behaviour.

    With telemetry on (the invoker's), it sends the same records as the Flask path.
    """
    entry = invoker.entry
    if entry.mode != "json" or entry.wants_headers or not flask_free(entry):
        return None
    return FastScore(invoker, entry.data_param)
