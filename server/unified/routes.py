"""The unified API as a Blueprint (contract §1, §10): `/health`, `/infer`, `/infer/<endpoint>`, and the
legacy fastml-engine 1.0.7 routes `/algo/<endpoint>`, `/health/<endpoint>`, `/info/<endpoint>`.

Each route accepts every common method and answers a wrong one itself, so that a 405 is an error envelope with
an `Allow` header whatever the host application's own error handlers do.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, List, Optional, Sequence

import flask
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from ..logs.files import REQUEST_ID
from . import envelope
from .decode import BadRequestBody, Decoded, decode
from .envelope import Failure, json_response
from .media import MediaType, RequestKind, UnsupportedMediaType, classify
from .services import InferenceTimeout, Service, ServiceSet

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
READ = ("GET", "HEAD")
WRITE = ("POST",)
logger = logging.getLogger("azmlinfsrv.unified")
errors_logger = logging.getLogger("azmlinfsrv.unified.errors")

RequestIdSource = Callable[[], str]


def unified_blueprint(services: ServiceSet, request_id: RequestIdSource) -> flask.Blueprint:
    """`request_id` returns the id of the current request, as the host application resolved it."""
    handler = _Handler(services, request_id)
    blueprint = flask.Blueprint("unified", __name__)
    views: Sequence[tuple[str, str, Callable[..., flask.Response]]] = (
        ("/health", "health", handler.health),
        ("/infer", "infer", handler.infer),
        ("/infer/<endpoint>", "infer_endpoint", handler.infer),
        ("/algo/<endpoint>", "legacy_infer", handler.legacy_infer),
        ("/health/<endpoint>", "legacy_health", handler.service_health),
        ("/info/<endpoint>", "legacy_info", handler.service_info),
    )
    for rule, name, view in views:
        blueprint.add_url_rule(rule, name, view, methods=ALL_METHODS, provide_automatic_options=False)
    return blueprint


class _Request:
    """What is known about one request while it is handled: when it started, its kind, its uploaded files."""

    def __init__(self, request_id: str) -> None:
        self.started = time.perf_counter()
        self.request_id = request_id
        self.kind: Optional[RequestKind] = None
        self.files: List[FileStorage] = []

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def close(self) -> None:
        for upload in self.files:
            upload.close()


class _Handler:
    def __init__(self, services: ServiceSet, request_id: RequestIdSource) -> None:
        self._services = services
        self._request_id = request_id

    def health(self) -> flask.Response:
        return self._handle(lambda request: _health_response(), READ)

    def infer(self, endpoint: Optional[str] = None) -> flask.Response:
        return self._handle(lambda request: self._infer(request, endpoint, legacy=False), WRITE)

    def legacy_infer(self, endpoint: str) -> flask.Response:
        return self._handle(lambda request: self._infer(request, endpoint, legacy=True), WRITE, legacy=True)

    def service_health(self, endpoint: str) -> flask.Response:
        return self._handle(lambda request: json_response(200, self._ask(endpoint, "health")), READ)

    def service_info(self, endpoint: str) -> flask.Response:
        def answer(request: _Request) -> flask.Response:
            info = self._ask(endpoint, "info")
            if isinstance(info, str):
                return flask.Response(info, status=200, mimetype="text/plain")
            return json_response(200, info)

        return self._handle(answer, READ)

    def _handle(
        self, answer: Callable[[_Request], flask.Response], methods: Sequence[str], legacy: bool = False
    ) -> flask.Response:
        request = _Request(self._request_id())
        token = REQUEST_ID.set(request.request_id)
        try:
            if flask.request.method not in methods:
                raise Failure(405, "MethodNotAllowed", _wrong_method(methods), {"Allow": ", ".join(methods)})
            return answer(request)
        except Failure as failure:
            return failure_response(failure, request.request_id, request.elapsed_ms(), request.kind, legacy)
        finally:
            request.close()
            REQUEST_ID.reset(token)

    def _infer(self, request: _Request, endpoint: Optional[str], legacy: bool) -> flask.Response:
        service = self._lookup(endpoint)
        media = _classify()
        request.kind = media.kind
        decoded = _decode(media, legacy)
        request.files = decoded.files
        result = _call(lambda: service.infer(decoded.value))
        duration = request.elapsed_ms()
        logger.info("total cost %.3f ms", duration)  # fastml-engine 1.0.7's wording, which its users grep for
        data, data_type = envelope.encode_data(result)
        if legacy:
            return json_response(200, envelope.legacy_success(data, data_type, duration))
        return json_response(200, envelope.success(data, data_type, duration, media.kind))

    def _ask(self, endpoint: str, question: str) -> Any:
        """The JSON-ready answer of a service's health() or info()."""
        service = self._lookup(endpoint)
        return envelope.jsonable(_call(getattr(service, question)))

    def _lookup(self, endpoint: Optional[str]) -> Service:
        service = self._services.default if endpoint is None else self._services.get(endpoint)
        if service is not None:
            return service
        served = ", ".join(f"/infer/{name}" for name in self._services.names) or "none"
        if endpoint is None:
            message = (
                "/infer has no default service: several services are served and none has the endpoint "
                f"'inference'. Use one of: {served}"
            )
        else:
            message = f"No service has the endpoint '{endpoint}'. Served endpoints: {served}"
        raise Failure(404, "NotFound", message)


def _health_response() -> flask.Response:
    # Never touches a service or the inference slots, so it answers at once while inferences run.
    return json_response(200, {"status": "UP"})


def _wrong_method(allowed: Sequence[str]) -> str:
    request = flask.request
    return f"The method {request.method} is not allowed for {request.path}; use {', '.join(allowed)}."


def _classify() -> MediaType:
    try:
        return classify(flask.request.headers.get("Content-Type"))
    except UnsupportedMediaType as exc:
        raise Failure(415, "UnsupportedMediaType", str(exc)) from exc


def _decode(media: MediaType, legacy: bool) -> Decoded:
    try:
        return decode(flask.request, media, legacy_forms=legacy)
    except BadRequestBody as exc:
        raise Failure(400, "BadRequest", str(exc)) from exc
    except UnsupportedMediaType as exc:
        raise Failure(415, "UnsupportedMediaType", str(exc)) from exc
    except HTTPException as exc:  # the body could not be read (client gone, say)
        raise Failure(exc.code or 400, type(exc).__name__, exc.description or str(exc)) from exc


def _call(user_code: Callable[[], Any]) -> Any:
    """Run a service method; its failures become InferError (500) or Timeout (504)."""
    try:
        return user_code()
    except InferenceTimeout as exc:
        raise Failure(504, "Timeout", str(exc)) from exc
    except Exception as exc:
        raise Failure(500, "InferError", str(exc) or type(exc).__name__) from exc


def failure_response(
    failure: Failure, request_id: str, duration_ms: float, kind: Optional[RequestKind], legacy: bool = False
) -> flask.Response:
    """Log the failure and answer it with the error envelope (the legacy one on `/algo`, always HTTP 200)."""
    log_failure(failure, request_id)
    if legacy and failure.status != 405:
        return json_response(200, envelope.legacy_error(failure))
    return json_response(failure.status, envelope.error(failure, duration_ms, kind), failure.headers)


def log_failure(failure: Failure, request_id: str) -> None:
    """`<request-id> <status> <error_type>: <message>`: WARNING for 4xx, ERROR and the traceback for 5xx."""
    server_error = failure.status >= 500
    errors_logger.log(
        logging.ERROR if server_error else logging.WARNING,
        "%d %s: %s",
        failure.status,
        failure.error_type,
        failure.message,
        exc_info=(failure.__cause__ or failure) if server_error else None,
        extra={"request_id": request_id},
    )
