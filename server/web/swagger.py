"""Swagger 2.0 / OpenAPI 3.0 / 3.1 documents served at ``GET /swagger.json``.

Documents are built once per worker and kept as JSON text, so a request only picks a string.
The document layout must stay JSON-equal to the upstream server's templates: clients and the
AzureML portal compare or parse them, so wording and structure here are data, not prose.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from inference_schema import schema_util

Json = Dict[str, Any]

# Query values the upstream server accepts, mapped to the document they select.
_VERSION_ALIASES: Mapping[str, str] = {"2": "2", "2.0": "2", "3": "3", "3.0": "3", "3.1": "3.1"}
_ALL_VERSIONS: Tuple[str, ...] = ("2", "3", "3.1")
_DEFAULT_VERSION = "2"

# inference-schema names versions with a minor part; we name them as the query parameter does.
_SCHEMA_LIB_VERSIONS: Mapping[str, str] = {"2.0": "2", "3.0": "3", "3.1": "3.1"}

# Earlier names win: upstream looked for swagger.json before swagger2.json.
_USER_FILES: Mapping[str, Tuple[str, ...]] = {
    "2": ("swagger.json", "swagger2.json"),
    "3": ("swagger3.json",),
    "3.1": ("swagger3.1.json",),
}

_HEALTH_DESCRIPTION = "Simple health check endpoint to ensure the service is up at any given point."
_HEALTH_OK = "If service is up and running, this response will be returned with the content 'Healthy'"
_SCORE_DESCRIPTION = "Run web service's model and get the prediction output"
_SCORE_INPUT = "The input payload for executing the real-time machine learning service."
_SCORE_OK = "The service processed the input correctly and provided a result prediction, if applicable."
_SPEC_DESCRIPTION = "Get the Swagger specification."
_SPEC_OK = "The Swagger specification."
_FAILED = "The service failed to execute due to an error."
_JSON_MEDIA = "application/json"
_TEXT_MEDIA = "text/plain"


@dataclass(frozen=True)
class SwaggerSettings:
    service_name: str = "ML service"
    service_version: str = "1.0"
    path_prefix: str = ""
    app_root: str = "."


class SwaggerDocuments:
    """Pre-serialised documents, keyed by canonical version ("2", "3", "3.1")."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts: Dict[str, str] = dict(texts)
        self.versions: Tuple[str, ...] = _sorted_versions(self._texts)

    def lookup(self, version: Optional[str]) -> Tuple[int, str]:
        """Status and JSON text for GET /swagger.json?version=<version> (None = parameter absent)."""
        raw = _DEFAULT_VERSION if version is None else version
        canonical = _VERSION_ALIASES.get(raw)
        listed = format_versions(self.versions)
        if canonical is None:
            return 404, _message(f"Swagger version [{raw}] is not valid. Supported versions: {listed}.")
        text = self._texts.get(canonical)
        if text is None:
            return 404, _message(
                f"Swagger version [{raw}] is not supported for the scoring script. "
                f"Supported swagger versions: {listed}."
            )
        return 200, text


def build_swaggers(
    settings: SwaggerSettings, run_fn: Callable[..., Any], logger: logging.Logger
) -> SwaggerDocuments:
    """Build every document this entry script can have; user files in ``app_root`` win."""
    generated = _generated_documents(settings, run_fn, logger)
    texts: Dict[str, str] = {}
    for version in _ALL_VERSIONS:
        user_doc = _load_user_document(settings.app_root, version, logger)
        if user_doc is not _MISSING:
            texts[version] = json.dumps(user_doc)
        elif version in generated:
            texts[version] = generated[version]
    documents = SwaggerDocuments(texts)
    _log_summary(documents.versions, logger)
    return documents


def format_versions(versions: Iterable[str]) -> str:
    """Render versions the way upstream messages do: ``[2, 3, 3.1]``, no quotes."""
    return "[" + ", ".join(versions) + "]"


def path_prefix(raw: str) -> str:
    """The text put before every documented path: ``""`` or ``"/" + prefix`` without edge slashes."""
    stripped = raw.strip("/")
    # A prefix of only slashes would otherwise document paths such as "//score".
    return "/" + stripped if stripped else ""


def _sorted_versions(versions: Iterable[str]) -> Tuple[str, ...]:
    return tuple(sorted(versions, key=lambda v: tuple(int(part) for part in v.split("."))))


def _message(text: str) -> str:
    return json.dumps({"message": text})


def _log_summary(available: Tuple[str, ...], logger: logging.Logger) -> None:
    skipped = [v for v in _ALL_VERSIONS if v not in available]
    if not available:
        logger.warning("No swagger is prepared.")
    elif skipped:
        logger.info(
            "Swaggers are prepared for versions %s and skipped for versions %s.",
            format_versions(available),
            format_versions(skipped),
        )
    else:
        logger.info("Swaggers are prepared for the following versions: %s.", format_versions(available))


# --- user files -------------------------------------------------------------------------------

# Distinguishes "no usable file" from a user file whose JSON is literally null.
_MISSING: Any = object()


def _load_user_document(app_root: str, version: str, logger: logging.Logger) -> Any:
    """The parsed user file for ``version``, or ``_MISSING``; an unreadable file counts as absent."""
    for name in _USER_FILES[version]:
        path = os.path.join(app_root, name)
        if not os.path.isfile(path):
            continue
        try:
            # utf-8-sig: editors on Windows often save JSON with a BOM, which json.loads rejects.
            with open(path, encoding="utf-8-sig") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as exc:
            logger.error(
                "Could not load user's swagger file %s for version [%s], ignoring it: %s", path, version, exc
            )
            continue
        logger.info("Loaded user's swagger file for version [%s] from %s", version, path)
        return document
    return _MISSING


# --- generated documents ----------------------------------------------------------------------


def _generated_documents(
    settings: SwaggerSettings, run_fn: Callable[..., Any], logger: logging.Logger
) -> Dict[str, str]:
    versions, service_input, service_output = _service_schemas(run_fn, logger)
    builders: Dict[str, Callable[[], Json]] = {
        "2": lambda: _v2_document(settings, service_input, service_output),
        "3": lambda: _v3_document(settings, service_input, service_output, "3.0.3"),
        "3.1": lambda: _v3_document(settings, service_input, service_output, "3.1.0"),
    }
    texts: Dict[str, str] = {}
    for version in versions:
        try:
            texts[version] = json.dumps(builders[version]())
        except (TypeError, ValueError) as exc:
            # A sample inference-schema copied verbatim into "example" may not be JSON-serialisable.
            logger.error("Could not serialise the generated swagger for version [%s]: %s", version, exc)
    return texts


def _undecorated_schema() -> Json:
    return {"type": "object", "example": {}}


def _service_schemas(run_fn: Callable[..., Any], logger: logging.Logger) -> Tuple[List[str], Json, Json]:
    """Supported versions plus the ServiceInput and ServiceOutput schemas for ``run_fn``."""
    try:
        if not schema_util.is_schema_decorated(run_fn):
            return list(_ALL_VERSIONS), _undecorated_schema(), _undecorated_schema()
        lib_versions: List[str] = list(schema_util.get_supported_versions(run_fn))
        # The library hands out its live registry entries; our documents must not alias them.
        service_input: Json = copy.deepcopy(schema_util.get_input_schema(run_fn))
        service_output: Json = copy.deepcopy(schema_util.get_output_schema(run_fn))
    except Exception:
        # inference-schema walks closures to find the user function and can fail on unusual
        # callables (e.g. a self-referencing closure); the routes still exist, so document them.
        logger.warning(
            "Could not read inference-schema decorators of run(), using generic schemas", exc_info=True
        )
        return list(_ALL_VERSIONS), _undecorated_schema(), _undecorated_schema()
    versions = [_SCHEMA_LIB_VERSIONS[v] for v in lib_versions if v in _SCHEMA_LIB_VERSIONS]
    return versions, service_input, service_output


def _info(settings: SwaggerSettings) -> Json:
    return {
        "title": settings.service_name,
        "description": f"API specification for the Azure Machine Learning service {settings.service_name}",
        "version": settings.service_version,
    }


def _bearer_scheme() -> Json:
    return {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "For example: Bearer abc123",
    }


def _schemas(service_input: Json, service_output: Json) -> Json:
    return {
        "ServiceInput": service_input,
        "ServiceOutput": service_output,
        "ErrorResponse": {"type": "object", "properties": {"message": {"type": "string"}}},
    }


def _operation(operation_id: str, description: str, responses: Json, **extra: Any) -> Json:
    return {"operationId": operation_id, "description": description, **extra, "responses": responses}


def _paths(prefix: str, health: Json, score: Json, spec: Json) -> Json:
    return {
        f"{prefix}/": {"get": health},
        f"{prefix}/score": {"post": score},
        f"{prefix}/swagger.json": {"get": spec},
    }


def _version_parameter_schema() -> Json:
    # Upstream documents only 2 and 3 although 3.1 is served; clients compare against this.
    return {"type": "integer", "enum": [2, 3]}


def _v2_document(settings: SwaggerSettings, service_input: Json, service_output: Json) -> Json:
    def ref(name: str) -> Json:
        return {"$ref": f"#/definitions/{name}"}

    def response(description: str, schema: Json) -> Json:
        return {"description": description, "schema": schema}

    failed = response(_FAILED, ref("ErrorResponse"))
    health_ok = {**response(_HEALTH_OK, {"type": "string"}), "examples": {_JSON_MEDIA: "Healthy"}}
    body = {
        "name": "serviceInputPayload",
        "in": "body",
        "description": _SCORE_INPUT,
        "schema": ref("ServiceInput"),
    }
    version_param = {"name": "version", "in": "query", "required": False, **_version_parameter_schema()}
    paths = _paths(
        path_prefix(settings.path_prefix),
        _operation("ServiceHealthCheck", _HEALTH_DESCRIPTION, {"200": health_ok, "default": failed}),
        _operation(
            "RunMLService",
            _SCORE_DESCRIPTION,
            {"200": response(_SCORE_OK, ref("ServiceOutput")), "default": failed},
            security=[{"Bearer": []}],
            parameters=[body],
        ),
        _operation(
            "GetSwaggerSpec",
            _SPEC_DESCRIPTION,
            {"200": response(_SPEC_OK, {"type": "string"}), "default": failed},
            parameters=[version_param],
        ),
    )
    return {
        "swagger": "2.0",
        "info": _info(settings),
        "schemes": ["https"],
        "consumes": [_JSON_MEDIA],
        "produces": [_JSON_MEDIA],
        "securityDefinitions": {"Bearer": _bearer_scheme()},
        "paths": paths,
        "definitions": _schemas(service_input, service_output),
    }


def _v3_document(settings: SwaggerSettings, service_input: Json, service_output: Json, openapi: str) -> Json:
    def ref(name: str) -> Json:
        return {"$ref": f"#/components/schemas/{name}"}

    def response(description: str, schema: Json, media: str = _JSON_MEDIA) -> Json:
        return {"description": description, "content": {media: {"schema": schema}}}

    failed = response(_FAILED, ref("ErrorResponse"))
    health_ok = response(_HEALTH_OK, {"type": "string", "example": "Healthy"}, _TEXT_MEDIA)
    body = {"description": _SCORE_INPUT, "content": {_JSON_MEDIA: {"schema": ref("ServiceInput")}}}
    version_param = {
        "name": "version",
        "in": "query",
        "required": False,
        "schema": _version_parameter_schema(),
    }
    paths = _paths(
        path_prefix(settings.path_prefix),
        _operation("ServiceHealthCheck", _HEALTH_DESCRIPTION, {"200": health_ok, "default": failed}),
        _operation(
            "RunMLService",
            _SCORE_DESCRIPTION,
            {"200": response(_SCORE_OK, ref("ServiceOutput")), "default": failed},
            security=[{"Bearer": []}],
            requestBody=body,
        ),
        _operation(
            "GetSwaggerSpec",
            _SPEC_DESCRIPTION,
            {"200": response(_SPEC_OK, {"type": "string"}, _TEXT_MEDIA), "default": failed},
            parameters=[version_param],
        ),
    )
    return {
        "openapi": openapi,
        "info": _info(settings),
        "security": [{"Bearer": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(service_input, service_output),
            "securitySchemes": {"Bearer": _bearer_scheme()},
        },
    }
