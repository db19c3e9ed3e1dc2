"""Turn a request into the keyword arguments of `run()`, for each of the three input modes.

Decoding failures raise `InputError` with upstream's status and message; nothing here calls user code.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Dict

import flask

from .entry import HEADERS_PARAM, EntryScript

logger = logging.getLogger("azmlinfsrv")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def run_kwargs(entry: EntryScript, request: flask.Request) -> Dict[str, Any]:
    if entry.mode == "raw":
        kwargs: Dict[str, Any] = {entry.data_param: request}
    elif entry.mode == "schema":
        kwargs = schema_kwargs(entry, _schema_body(request))
    else:
        kwargs = {entry.data_param: _json_string(request)}
    if entry.wants_headers:
        kwargs[HEADERS_PARAM] = dict(request.headers)
    return kwargs


def query_as_dict(request: flask.Request) -> Dict[str, Any]:
    """Query parameters with each value JSON-parsed when it parses; a repeated key becomes a list."""
    result: Dict[str, Any] = {}
    for key in request.args:
        values = [_maybe_json(v) for v in request.args.getlist(key)]
        result[key] = values[0] if len(values) == 1 else values
    return result


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _json_string(request: flask.Request) -> str:
    if request.method == "GET":
        return json.dumps(query_as_dict(request))
    if request.mimetype in FORM_TYPES:
        logger.warning(
            "The request body is %s, so run() receives an empty string: the production server (Flask) consumes "
            "form bodies before an undecorated run() sees them. Decorate run() with @rawhttp and read "
            "request.form / request.files to receive form data.",
            request.mimetype,
        )
        return ""
    return body_text(request.get_data())


def body_text(body: bytes) -> str:
    """The data an undecorated run() receives for a POST body."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(400, f"Input cannot be decoded as UTF-8: {exc}") from exc


def _schema_body(request: flask.Request) -> Dict[str, Any]:
    if request.method == "GET":
        return query_as_dict(request)
    return schema_post_body(request.mimetype, request.get_data)


def schema_post_body(mimetype: str, read: Callable[[], bytes]) -> Dict[str, Any]:
    """The JSON object of a POST for a decorated run(); `read` gives the body, called only for a JSON type."""
    if not (
        mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))
    ):
        raise InputError(415, "Expects Content-Type to be application/json")
    raw = read()
    if not raw:
        raise InputError(400, "POST body is empty. Expecting a JSON dictionary.")
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(400, f"POST body could not be decoded as JSON: {exc}") from exc
    # Anything else json.loads raises (a body not in UTF-8, an integer over 4,300 digits, nesting deeper than
    # the recursion limit) is production's unhandled exception: the internal-error 500, as the caller answers it.
    if not isinstance(body, dict):
        raise InputError(400, "POST body should be a JSON dictionary.")
    return body


def schema_kwargs(entry: EntryScript, body: Dict[str, Any]) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {}
    for name, default in entry.params:
        if name in body:
            kwargs[name] = body[name]
        elif entry.has_default(default):
            kwargs[name] = default
        else:
            raise InputError(400, f"A value is not provided for the '{name}' parameter.")
    return kwargs
