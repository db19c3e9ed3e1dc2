"""The unified routes in a fastml app, through Flask's test client (the HTTP-level checks are in
tests/integration/test_fastml_conformance.py)."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
from azmlinfsrv.fastml.app import create_fastml_app, resolve_request_id
from azmlinfsrv.fastml.execution import InferencePool
from azmlinfsrv.fastml.modelservice import BaseService
from azmlinfsrv.fastml.services import FastmlService
from azmlinfsrv.unified.services import ServiceSet
from flask.testing import FlaskClient


class Echo(BaseService):
    def load_context(self) -> None:
        self.loaded = True

    def infer(self, input_data: Any) -> Any:
        if input_data == "boom":
            raise ValueError("model exploded")
        if input_data == "silent":
            raise KeyError()
        if input_data == "set":
            return {1, 2}
        if input_data == "sleep":
            for _ in range(100):  # Python-level steps: the timeout's interruption lands between them
                time.sleep(0.01)
        return input_data

    def endpoint(self) -> str:
        return "inference"

    def info(self) -> Any:
        return {"version": 1}


class Other(Echo):
    def endpoint(self) -> str:
        return "other"

    def info(self) -> Any:
        return "plain info"


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    pool = InferencePool(threads=1, timeout_s=0.3)
    services = ServiceSet(
        [
            FastmlService(Echo("/svc", "/svc/model"), pool.call),
            FastmlService(Other("/svc", "/svc/model"), pool.call),
        ]
    )
    return create_fastml_app(services).test_client()


def _error(response: Any) -> tuple[int, str]:
    body = response.get_json()
    assert body["result"] is False
    assert "Traceback" not in response.get_data(as_text=True)
    return response.status_code, body["data"]["error_type"]


def test_health(client: FlaskClient) -> None:
    response = client.get("/health")
    assert (response.status_code, response.get_json(), response.mimetype) == (
        200,
        {"status": "UP"},
        "application/json",
    )
    assert client.head("/health").data == b""
    response = client.post("/health")
    assert _error(response) == (405, "MethodNotAllowed")
    assert response.headers["Allow"] == "GET, HEAD"


def test_infer_default_and_named(client: FlaskClient) -> None:
    body = client.post("/infer", data="hi", content_type="text/plain").get_json()
    assert body["data"] == "hi"
    assert body["metadata"]["content_type"] == "text"
    assert body["metadata"]["data_type"] == "string"
    assert isinstance(body["metadata"]["duration"], float)
    assert client.post("/infer/other", json={"a": 1}).get_json()["data"] == {"a": 1}


@pytest.mark.parametrize(
    "path", ["/nope", "/infer/", "//infer", "/infer/missing", "/infer/other/", "/health/"]
)
def test_unknown_paths_are_404_envelopes(client: FlaskClient, path: str) -> None:
    response = client.post(path, data="x", content_type="text/plain")
    assert _error(response) == (404, "NotFound")
    assert response.get_json()["metadata"]["content_type"] is None


def test_wrong_methods_are_405_envelopes_with_allow(client: FlaskClient) -> None:
    for method in ("GET", "PUT", "DELETE", "HEAD", "OPTIONS"):
        response = client.open("/infer", method=method)
        assert response.status_code == 405
        assert response.headers["Allow"] == "POST"


def test_unsupported_and_bad_bodies(client: FlaskClient) -> None:
    assert _error(client.post("/infer", data=b"x", content_type="image/png")) == (415, "UnsupportedMediaType")
    assert _error(client.post("/infer", data=b"x")) == (415, "UnsupportedMediaType")
    assert _error(client.post("/infer", data=b"x", content_type="text/plain; charset=nope")) == (
        415,
        "UnsupportedMediaType",
    )
    response = client.post("/infer", data=b"{bad", content_type="application/json")
    assert _error(response) == (400, "BadRequest")
    assert response.get_json()["metadata"]["content_type"] == "json"


def test_infer_errors(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/infer", data="boom", content_type="text/plain", headers={"X-Request-Id": "rid-9"}
        )
    assert _error(response) == (500, "InferError")
    assert response.get_json()["data"]["message"] == "model exploded"
    record = next(r for r in caplog.records if r.name == "azmlinfsrv.unified.errors")
    assert (record.levelno, record.getMessage(), getattr(record, "request_id", None)) == (
        logging.ERROR,
        "500 InferError: model exploded",
        "rid-9",
    )
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)
    assert (
        client.post("/infer", data="silent", content_type="text/plain").get_json()["data"]["message"]
        == "KeyError"
    )
    assert _error(client.post("/infer", data="set", content_type="text/plain")) == (500, "SerializationError")


def test_timeout_is_504_and_the_worker_keeps_serving(client: FlaskClient) -> None:
    response = client.post("/infer", data="sleep", content_type="text/plain")
    assert _error(response) == (504, "Timeout")
    assert "0.3 s" in response.get_json()["data"]["message"]
    assert client.get("/health").status_code == 200
    assert client.post("/infer", data="after", content_type="text/plain").get_json()["data"] == "after"


def test_request_ids(client: FlaskClient) -> None:
    assert client.get("/health", headers={"X-Request-Id": "abc 123"}).headers["X-Request-Id"] == "abc 123"
    assert client.get("/nope", headers={"X-Request-Id": "x"}).headers["X-Request-Id"] == "x"
    fresh = client.get("/health", headers={"X-Request-Id": "x" * 101}).headers["X-Request-Id"]
    assert uuid.UUID(fresh).version == 4
    assert resolve_request_id("x" * 100) == "x" * 100
    assert resolve_request_id("tab\there") != "tab\there"
    assert resolve_request_id("é") != "é"
    assert resolve_request_id("") != ""


def test_legacy_routes(client: FlaskClient) -> None:
    body = client.post("/algo/inference", json=[1]).get_json()
    assert body["status"] is True
    assert body["data"] == [1]
    assert set(body["metadata"]) == {"duration", "data_type"}
    for path, data in (("/algo/inference", "boom"), ("/algo/missing", "x")):
        response = client.post(path, data=data, content_type="text/plain")
        assert response.status_code == 200
        assert response.get_json()["status"] is False
        assert response.get_json()["data"]["error_type"] == "InferError"
        assert "metadata" not in response.get_json()
    assert client.get("/health/other").get_json() == {"status": "UP"}
    assert _error(client.get("/health/missing")) == (404, "NotFound")
    assert client.get("/info/inference").get_json() == {"version": 1}
    response = client.get("/info/other")
    assert (response.mimetype, response.get_data(as_text=True)) == ("text/plain", "plain info")
