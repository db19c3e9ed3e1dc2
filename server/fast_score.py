"""`POST /score` for an undecorated `run()`, answered without Flask's routing and request context.

For a small model, Flask's per-request machinery (request object, contexts, URL matching, response finalising)
costs more than everything else the server does, so this path answers the commonest request directly. It gives
the same response as the Flask path in every case, failures included (tests/server/test_fast_score.py sends the
same requests through both and compares status, headers, body and log lines), and is used only where nothing can
tell the two apart:

* `run()` is undecorated (no `@rawhttp`, no inference-schema) and has no `request_headers` parameter;
* telemetry is off (its hooks live in Flask's request cycle);
* neither the entry script nor the module that defines `run()` mentions flask, so `run()` cannot be reading
  `flask.request` or `flask.g`, which exist only inside Flask's request context;
* the body is not a form (the Flask path logs a warning and passes an empty string) and the WSGI server
  terminates the input stream (gunicorn and waitress do), so the body is read exactly as werkzeug reads it.

Everything else goes to Flask, as does any request this path declines.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Dict, Iterable, Optional

from werkzeug.exceptions import InternalServerError
from werkzeug.wrappers import Response as WerkzeugResponse

from .entry import EntryScript
from .invoke import (
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
from .modes import FORM_TYPES, InputError, body_text

logger = logging.getLogger("azmlinfsrv")
SCORE_PATH = "/score"


class FastScore:
    """A WSGI app for the requests `accepts()` says yes to; the caller routes everything else to Flask."""

    def __init__(self, invoker: Invoker, data_param: str) -> None:
        self._invoker = invoker
        self._data_param = data_param

    @staticmethod
    def accepts(environ: Dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") != "POST" or "wsgi.input_terminated" not in environ:
            return False
        mimetype = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        return mimetype not in FORM_TYPES

    def __call__(self, environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            return self._score(environ, start_response)
        except Exception:
            # What Flask does with an exception its view let through: log it, answer the generic 500.
            logger.error("Exception on %s [POST]", SCORE_PATH, exc_info=True)
            error = json_response(500, {"message": InternalServerError.description})
            return error(environ, start_response)

    def _score(self, environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            text = body_text(environ["wsgi.input"].read())
        except InputError as exc:
            return message_response(exc.status, exc.message)(environ, start_response)
        outcome = self._invoker.run_timed({self._data_param: text})
        if isinstance(outcome, WerkzeugResponse):
            return outcome(environ, start_response)
        result, elapsed_ms = outcome
        if isinstance(result, WerkzeugResponse):
            return with_run_headers(to_response(result), elapsed_ms)(environ, start_response)
        body = serialise(result)
        if body is None:
            return body_response(None)(environ, start_response)  # our own 500: no run headers, as on Flask
        data = body.encode("utf-8")
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                (FAILED_HEADER, "False"),
                (EXEC_MS_HEADER, f"{elapsed_ms:.3f}"),
            ],
        )
        return [data]


def fast_score(invoker: Invoker, telemetry_enabled: bool) -> Optional[FastScore]:
    """The fast path for this script, or None when only the Flask path gives production's behaviour."""
    entry = invoker.entry
    if entry.mode != "json" or entry.wants_headers or telemetry_enabled or _mentions_flask(entry):
        return None
    return FastScore(invoker, entry.data_param)


def _mentions_flask(entry: EntryScript) -> bool:
    paths = {entry.path, getattr(entry.module, "__file__", None), _source_file(entry.run)}
    for path in paths:
        if path is None:
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                if "flask" in handle.read().lower():
                    return True
        except OSError:
            return True  # cannot tell: stay on the Flask path
    return False


def _source_file(func: Any) -> Optional[str]:
    try:
        return inspect.getsourcefile(inspect.unwrap(func))
    except (TypeError, ValueError):
        return None
