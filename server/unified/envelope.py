"""The response envelopes (contract §4, §5, §10) and how a value returned by `infer` becomes JSON `data`.

Bodies are always strict JSON: NaN and infinities become null, bytes become base64 text, numpy values become
plain numbers and lists, and an uploaded file becomes its metadata.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any, Dict, Literal, Optional, Tuple

import flask
from werkzeug.datastructures import FileStorage

from .media import RequestKind

# How `data` holds the value `infer` returned (the envelope's `data_type`).
DataType = Literal["string", "binary", "json"]
STRING: DataType = "string"
BINARY: DataType = "binary"
JSON: DataType = "json"


class Failure(Exception):
    """A request ending in an error envelope: HTTP status, `error_type` and the message for the client."""

    def __init__(
        self, status: int, error_type: str, message: str, headers: Optional[Dict[str, str]] = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}


class SerializationError(Failure):
    def __init__(self, message: str) -> None:
        super().__init__(500, "SerializationError", message)


def encode_data(value: Any) -> Tuple[Any, DataType]:
    """(`data` as plain JSON values, `data_type`); raises SerializationError."""
    if isinstance(value, str):
        return value, STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _base64(value), BINARY
    try:
        return jsonable(value), JSON
    except RecursionError:
        raise SerializationError("The returned value is nested too deeply (or refers to itself)") from None


def jsonable(value: Any) -> Any:
    """`value` with every part replaced by what JSON can hold; raises SerializationError."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _base64(value)
    if isinstance(value, dict):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return _special(value)


def _special(value: Any) -> Any:
    if isinstance(value, FileStorage):
        return file_metadata(value)
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        # ndarray -> nested lists, numpy scalar -> Python scalar; without importing numpy here.
        return jsonable(value.tolist())
    raise SerializationError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: Any) -> Any:
    if key is None or isinstance(key, (str, bool, int, float)):
        return key  # json.dumps turns these into strings itself
    if type(key).__module__ == "numpy" and hasattr(key, "item"):
        return key.item()
    raise SerializationError(f"Keys must be str, int, float, bool or None, not {type(key).__name__}")


def _base64(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def file_metadata(upload: FileStorage) -> Dict[str, Any]:
    stream = upload.stream
    try:
        position = stream.tell()
        size = stream.seek(0, 2)
        stream.seek(position)
    except (OSError, ValueError) as exc:
        raise SerializationError(
            f"Cannot read the size of the uploaded file '{upload.filename}': {exc}"
        ) from exc
    return {"filename": upload.filename, "content_type": upload.content_type, "size": size}


def success(data: Any, data_type: DataType, duration_ms: float, kind: RequestKind) -> Dict[str, Any]:
    metadata = {"duration": duration_ms, "content_type": kind, "data_type": data_type}
    return {"result": True, "data": data, "metadata": metadata}


def error(failure: Failure, duration_ms: float, kind: Optional[RequestKind]) -> Dict[str, Any]:
    data = {"message": failure.message, "error_type": failure.error_type}
    return {"result": False, "data": data, "metadata": {"duration": duration_ms, "content_type": kind}}


def legacy_success(data: Any, data_type: DataType, duration_ms: float) -> Dict[str, Any]:
    return {"status": True, "data": data, "metadata": {"duration": duration_ms, "data_type": data_type}}


def legacy_error(failure: Failure) -> Dict[str, Any]:
    # 1.0.7 labels every failure InferError; its clients branch on `status` only.
    return {"status": False, "data": {"message": failure.message, "error_type": "InferError"}}


def dumps(payload: Any) -> str:
    """Strict JSON text; raises SerializationError for what `jsonable` let through but JSON cannot hold."""
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SerializationError(str(exc)) from exc


def json_response(status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> flask.Response:
    body = dumps(payload).encode("utf-8")
    response = flask.Response(body, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response
