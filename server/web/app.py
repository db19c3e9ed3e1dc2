"""create_app(): one worker's WSGI app, built from the config and the loaded entry script.

The pipeline, outside in: the headers middleware (middleware.py) -> the dispatcher (dispatch.py) -> the fast path
(fast_score.py) or Flask (the routes below, plus any blueprints the caller adds, such as the unified API).
"""

from __future__ import annotations

import logging
from typing import Callable, Optional, Sequence

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import SERVER_VERSION
from ..config import ServerConfig
from ..script.invoke import Invoker, json_response, message_response, unhandled_response
from ..telemetry import Telemetry
from .cors import CorsPolicy
from .dispatch import Dispatcher
from .fast_score import fast_score
from .ids import telemetry_ids
from .middleware import ServerHeaders
from .records import Started, send_request_record
from .swagger import SwaggerDocuments

logger = logging.getLogger("azmlinfsrv")
STARTED = "azmlinfsrv_started"


def create_app(
    config: ServerConfig,
    invoker: Invoker,
    swaggers: SwaggerDocuments,
    telemetry: Optional[Telemetry] = None,
    *,
    fast_path: bool = True,
    blueprints: Sequence[flask.Blueprint] = (),
) -> flask.Flask:
    """`fast_path=False` sends every request through Flask (the parity tests compare both paths)."""
    app = flask.Flask("azmlinfsrv")
    # Repeated slashes are merged without a redirect (see middleware.ServerHeaders), as upstream answers //score.
    app.url_map.merge_slashes = False
    _add_routes(app, invoker, swaggers)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    if telemetry is not None:
        _add_telemetry(app, telemetry)
    version = SERVER_VERSION if config.version_header else None
    cors = CorsPolicy(config.cors_list) if config.cors_list else None
    fast = fast_score(invoker, app) if fast_path else None
    app.wsgi_app = ServerHeaders(  # type: ignore[method-assign]
        Dispatcher(app.wsgi_app, fast), version, cors, _route_matcher(app)
    )
    return app


def _route_matcher(app: flask.Flask) -> Callable[[str, str], bool]:
    def routed(path: str, method: str) -> bool:
        try:
            app.url_map.bind("localhost").match(path, method)
        except HTTPException:
            return False
        return True

    return routed


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
        # As production, a @rawhttp run() receives flask.request itself (the context proxy, not an AMLRequest).
        target = request if raw else request._get_current_object()  # type: ignore[attr-defined]
        return invoker.score(target, telemetry_ids(request.environ))

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

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> flask.Response:
        return unhandled_response(exc)


def _add_telemetry(app: flask.Flask, telemetry: Telemetry) -> None:
    @app.before_request
    def start() -> None:
        setattr(flask.g, STARTED, Started())

    @app.after_request
    def finish(response: flask.Response) -> flask.Response:
        started = flask.g.get(STARTED)
        send_request_record(telemetry, flask.request, response, started if started is not None else Started())
        return response
