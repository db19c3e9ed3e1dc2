"""create_app(): the Flask application for one worker, built from the config and the loaded entry script."""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable, Dict, Iterable, Optional

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response as WerkzeugResponse

from . import SERVER_VERSION
from .config import ServerConfig
from .cors import CorsPolicy
from .headers import RequestIds, apply_ids, resolve_ids
from .invoke import Invoker, json_response, message_response
from .swagger import SwaggerDocuments
from .telemetry import Telemetry, response_value, utc_now
from .unified.entry_service import entry_blueprint

logger = logging.getLogger("azmlinfsrv")
LOGGED_PATHS = ("/score", "/swagger.json")
_SLASHES = re.compile(r"/{2,}")

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def create_app(
    config: ServerConfig,
    invoker: Invoker,
    swaggers: SwaggerDocuments,
    telemetry: Optional[Telemetry] = None,
) -> flask.Flask:
    app = flask.Flask("azmlinfsrv")
    # Repeated slashes are merged without a redirect (see MergeSlashes), as upstream answers //score directly.
    app.url_map.merge_slashes = False
    _add_routes(app, invoker, swaggers)
    app.register_blueprint(entry_blueprint(invoker, config.scoring_timeout_ms))  # unified /health, /infer
    _add_hooks(app, config, telemetry)
    app.wsgi_app = MergeSlashes(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _add_routes(app: flask.Flask, invoker: Invoker, swaggers: SwaggerDocuments) -> None:
    raw = invoker.raw_mode

    @app.route("/", methods=["GET"])
    def liveness() -> flask.Response:
        return flask.Response("Healthy", status=200, content_type="text/html; charset=utf-8")

    @app.route("/score", methods=["GET", "POST", "OPTIONS", "HEAD"], provide_automatic_options=False)
    def score() -> WerkzeugResponse:
        request = flask.request
        if not raw and request.method == "OPTIONS":
            return invoker.options()
        if not raw and request.method == "HEAD":
            return message_response(405, "Method not allowed")
        return invoker.score(request._get_current_object())  # type: ignore[attr-defined]

    @app.route("/swagger.json", methods=["GET"])
    def swagger() -> flask.Response:
        status, body = swaggers.lookup(flask.request.args.get("version"))
        response = flask.Response(body, status=status, mimetype="application/json")
        response.headers["x-ms-run-function-failed"] = "False"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> flask.Response:
        response = json_response(exc.code or 500, {"message": exc.description})
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response


def _add_hooks(app: flask.Flask, config: ServerConfig, telemetry: Optional[Telemetry]) -> None:
    version = SERVER_VERSION if config.version_header else None
    cors = CorsPolicy(config.cors_list) if config.cors_list else None

    @app.before_request
    def start() -> Optional[flask.Response]:
        flask.g.started = time.perf_counter()
        if telemetry is not None:
            flask.g.started_at = utc_now()
        ids = resolve_ids(flask.request.headers)
        flask.g.ids = ids
        if ids.error is not None:
            return message_response(431, ids.error)
        return None

    @app.after_request
    def finish(response: flask.Response) -> flask.Response:
        request = flask.request
        ids: Optional[RequestIds] = flask.g.get("ids")
        if ids is not None:
            apply_ids(ids, response.headers, version)
        if cors is not None:
            cors.apply(request.method, request.path, request.headers, response.headers)
        if request.path in LOGGED_PATHS:
            _log_request(request, response)
        if telemetry is not None and request.path != "/":
            _send_telemetry(telemetry, request, response, ids)
        return response


def _log_request(request: flask.Request, response: flask.Response) -> None:
    elapsed = (time.perf_counter() - flask.g.get("started", time.perf_counter())) * 1000.0
    length = "N/A" if response.is_streamed else str(response.calculate_content_length())
    path = request.full_path if request.query_string else request.path
    logger.info("%s %s %d %.3fms %s", request.method, path, response.status_code, elapsed, length)


def _send_telemetry(
    telemetry: Telemetry, request: flask.Request, response: flask.Response, ids: Optional[RequestIds]
) -> None:
    body = None
    if not response.is_streamed:
        body = response_value(response.get_data(), response.mimetype == "application/json")
    telemetry.request(
        path=request.path,
        method=request.method,
        url=request.url,
        started=flask.g.get("started_at") or utc_now(),
        seconds=time.perf_counter() - flask.g.get("started", time.perf_counter()),
        status=response.status_code,
        ids=ids.as_telemetry() if ids is not None else {},
        body=body,
    )


class MergeSlashes:
    """Collapses repeated slashes in the path before routing, so `//score` is `/score` (no redirect)."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            environ["PATH_INFO"] = _SLASHES.sub("/", path)
        return self._app(environ, start_response)
