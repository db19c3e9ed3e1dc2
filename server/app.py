"""create_app(): the Flask application for one worker, built from the config and the loaded entry script."""

from __future__ import annotations

import logging
import time
from typing import Optional

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response as WerkzeugResponse

from . import SERVER_VERSION
from .compat.aml_request import AMLRequest
from .config import ServerConfig
from .cors import CorsPolicy
from .fast_score import fast_score
from .headers import RequestIds, ServerHeaders, request_ids
from .invoke import Invoker, json_response, message_response
from .swagger import SwaggerDocuments
from .telemetry import Telemetry, response_value, utc_now
from .unified.entry_service import entry_blueprint

logger = logging.getLogger("azmlinfsrv")


def create_app(
    config: ServerConfig,
    invoker: Invoker,
    swaggers: SwaggerDocuments,
    telemetry: Optional[Telemetry] = None,
    fast_path: bool = True,
) -> flask.Flask:
    """`fast_path=False` sends every request through Flask (the parity tests compare both paths)."""
    app = flask.Flask("azmlinfsrv")
    # @rawhttp scripts may check isinstance(request, AMLRequest), as they can upstream.
    app.request_class = AMLRequest
    # Repeated slashes are merged without a redirect (see headers.ServerHeaders), as upstream answers //score.
    app.url_map.merge_slashes = False
    _add_routes(app, invoker, swaggers)
    app.register_blueprint(entry_blueprint(invoker, config.scoring_timeout_ms))  # unified /health, /infer
    if telemetry is not None:
        _add_telemetry(app, telemetry)
    version = SERVER_VERSION if config.version_header else None
    cors = CorsPolicy(config.cors_list) if config.cors_list else None
    fast = fast_score(invoker, telemetry is not None) if fast_path else None
    app.wsgi_app = ServerHeaders(app.wsgi_app, version, cors, fast)  # type: ignore[method-assign]
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


def _add_telemetry(app: flask.Flask, telemetry: Telemetry) -> None:
    @app.before_request
    def start() -> None:
        flask.g.started = time.perf_counter()
        flask.g.started_at = utc_now()

    @app.after_request
    def finish(response: flask.Response) -> flask.Response:
        if flask.request.path != "/":
            _send_telemetry(telemetry, flask.request, response, request_ids(flask.request.environ))
        return response


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
