"""The Flask application of one `fastml server` worker: the unified routes plus fastml's request-id rule and
error envelopes for everything else (unknown paths, unusual methods, unexpected failures)."""

from __future__ import annotations

import time
import uuid
from typing import Any, Optional

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..unified.envelope import Failure
from ..unified.routes import failure_response, unified_blueprint
from ..unified.services import ServiceSet

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_LIMIT = 100


def resolve_request_id(sent: Optional[str]) -> str:
    """The client's id when it is 1 to 100 printable ASCII characters, else a fresh uuid4 (contract §1)."""
    if sent and len(sent) <= REQUEST_ID_LIMIT and sent.isascii() and sent.isprintable():
        return sent
    return str(uuid.uuid4())


class _FastmlFlask(flask.Flask):
    def log_exception(self, exc_info: Any) -> None:
        """Left to the error handler, which logs the traceback once, with the request id."""


def create_fastml_app(services: ServiceSet) -> flask.Flask:
    app = _FastmlFlask("fastml")
    # `//infer` and `/infer/` are unknown paths (404), never redirects.
    app.url_map.merge_slashes = False
    app.register_blueprint(unified_blueprint(services, _request_id))
    _add_hooks(app, services)
    return app


def _request_id() -> str:
    request_id = flask.g.get("request_id")
    return request_id if isinstance(request_id, str) else str(uuid.uuid4())


def _add_hooks(app: flask.Flask, services: ServiceSet) -> None:
    @app.before_request
    def start() -> None:
        flask.g.started = time.perf_counter()
        flask.g.request_id = resolve_request_id(flask.request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def finish(response: flask.Response) -> flask.Response:
        response.headers[REQUEST_ID_HEADER] = _request_id()
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> flask.Response:
        failure = _failure(exc, services)
        elapsed = (time.perf_counter() - flask.g.get("started", time.perf_counter())) * 1000.0
        return failure_response(failure, _request_id(), elapsed, None)


def _failure(exc: HTTPException, services: ServiceSet) -> Failure:
    request = flask.request
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return Failure(
            405,
            "MethodNotAllowed",
            f"The method {request.method} is not allowed for {request.path}.",
            {"Allow": allowed} if allowed else None,
        )
    if exc.code == 404:
        endpoints = ", ".join(f"/infer/{name}" for name in services.names)
        message = f"No route for {request.method} {request.path}. Routes: /health, /infer, {endpoints}"
        return Failure(404, "NotFound", message)
    original = getattr(exc, "original_exception", None)
    message = (
        "Internal server error; see error-access.log" if original is not None else (exc.description or "")
    )
    failure = Failure(exc.code or 500, type(exc).__name__, message)
    failure.__cause__ = original
    return failure
