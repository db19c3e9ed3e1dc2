"""Unit tests for the request ids, the 431 limits and the headers middleware (azmlinfsrv.web), and CORS."""

from __future__ import annotations

import inspect
import logging
import types
import uuid
from pathlib import Path
from typing import Dict, Iterator, Optional

import flask
import pytest
from azmlinfsrv import SERVER_VERSION
from azmlinfsrv.config import CliArgs, build_config
from azmlinfsrv.script.entry import EntryScript
from azmlinfsrv.script.invoke import Invoker
from azmlinfsrv.script.scoring import Scorer
from azmlinfsrv.web.app import create_app
from azmlinfsrv.web.cors import CorsPolicy
from azmlinfsrv.web.ids import (
    MS_IDS_TOO_LONG,
    REQUEST_ID_TOO_LONG,
    RequestIds,
    new_request_id,
    resolve_ids,
)
from azmlinfsrv.web.swagger import SwaggerDocuments
from werkzeug.datastructures import Headers

A, B, C = "rid-A", "ms-B", "client-C"
DEPRECATION = (
    "x-ms-request-id header has been deprecated and will be removed from future versions of the server. "
    "Please use x-ms-client-request-id."
)

pytestmark = pytest.mark.usefixtures("server_logs_reach_caplog")


def sent(a: Optional[str] = None, b: Optional[str] = None, c: Optional[str] = None, **extra: str) -> Headers:
    headers = Headers()
    for name, value in (("x-request-id", a), ("x-ms-request-id", b), ("x-ms-client-request-id", c)):
        if value is not None:
            headers[name] = value
    for name, value in extra.items():
        headers[name] = value
    return headers


def is_uuid4(value: Optional[str]) -> bool:
    return value is not None and uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value


# --- the matrix of contract §6.2 ------------------------------------------------------------------------------

U = "<uuid>"


def test_new_request_ids_are_distinct_uuid4s() -> None:
    ids = [new_request_id() for _ in range(500)]
    assert all(is_uuid4(value) and uuid.UUID(value).variant == uuid.RFC_4122 for value in ids)
    assert len(set(ids)) == len(ids)


MATRIX = [
    # sent (A, B, C)           returned (x-request-id, x-ms-request-id, x-ms-client-request-id)
    ((None, None, None), (U, U, None)),
    ((A, None, None), (A, A, None)),
    ((None, B, None), (U, B, B)),
    ((None, None, C), (U, C, C)),
    ((A, B, None), (A, B, B)),
    ((None, B, C), (U, B, C)),
    ((A, None, C), (A, C, C)),
    ((A, B, C), (A, B, C)),
]


@pytest.mark.parametrize(
    ("given", "expected"), MATRIX, ids=["---", "A--", "-B-", "--C", "AB-", "-BC", "A-C", "ABC"]
)
def test_request_id_matrix(given: tuple, expected: tuple) -> None:
    ids = resolve_ids(sent(*given))
    returned = (ids.request_id, ids.ms_request_id, ids.client_request_id)
    assert ids.error is None
    for value, want in zip(returned, expected):
        if want is U:
            assert is_uuid4(value)
        else:
            assert value == want
    if expected[1] is U:
        # The generated id is the same in both headers.
        assert ids.ms_request_id == ids.request_id


def test_generated_ids_are_fresh() -> None:
    assert resolve_ids(sent()).request_id != resolve_ids(sent()).request_id


def test_header_names_are_case_insensitive() -> None:
    headers = Headers([("X-Request-ID", A), ("X-MS-Client-Request-Id", C), ("traceid", "T1")])
    ids = resolve_ids(headers)
    assert (ids.request_id, ids.ms_request_id, ids.client_request_id, ids.trace_id) == (A, C, C, "T1")


def test_trace_id_is_echoed_only_when_sent() -> None:
    assert resolve_ids(sent(TraceId="T1")).trace_id == "T1"
    assert resolve_ids(sent()).trace_id is None


def test_deprecated_header_logs_warning(caplog: pytest.LogCaptureFixture) -> None:
    resolve_ids(sent(b=B))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [DEPRECATION]
    assert warnings[0].name == "azmlinfsrv"


def test_no_warning_without_deprecated_header(caplog: pytest.LogCaptureFixture) -> None:
    resolve_ids(sent(a=A, c=C))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- 431 limits ----------------------------------------------------------------------------------------------


def test_100_character_ids_are_fine() -> None:
    ids = resolve_ids(sent("a" * 100, "b" * 100, "c" * 100))
    assert ids.error is None
    assert (ids.request_id, ids.ms_request_id, ids.client_request_id) == ("a" * 100, "b" * 100, "c" * 100)


def test_long_request_id_is_rejected_without_ids() -> None:
    ids = resolve_ids(sent("a" * 101, B, C, TraceId="T1"))
    assert ids.error == REQUEST_ID_TOO_LONG == "x-request-id must not exceed 100 characters"
    assert (ids.request_id, ids.ms_request_id, ids.client_request_id) == (None, None, None)


@pytest.mark.parametrize(
    ("b", "c"), [("b" * 101, None), (None, "c" * 101), ("b" * 101, "c" * 101), ("b", "c" * 101)]
)
def test_long_ms_ids_are_rejected_keeping_request_id(b: Optional[str], c: Optional[str]) -> None:
    ids = resolve_ids(sent(A, b, c))
    assert ids.error == MS_IDS_TOO_LONG
    assert MS_IDS_TOO_LONG == "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"
    assert (ids.request_id, ids.ms_request_id, ids.client_request_id) == (A, None, None)


def test_long_ms_id_without_request_id_gets_a_generated_one() -> None:
    ids = resolve_ids(sent(c="c" * 101))
    assert ids.error == MS_IDS_TOO_LONG
    assert is_uuid4(ids.request_id)


def test_header_pairs_hold_only_present_values() -> None:
    assert RequestIds("r", "m", None, None).header_pairs() == [
        ("x-request-id", "r"),
        ("x-ms-request-id", "m"),
    ]
    assert RequestIds(None, None, None, "T").header_pairs() == [("TraceId", "T")]


# --- the same rules through the Flask app -------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[flask.testing.FlaskClient]:
    config = build_config(CliArgs(cors_origins="http://a.com, http://b.com"), {}, str(tmp_path))
    entry = EntryScript(
        None,
        types.ModuleType("fake"),
        lambda: None,
        lambda data: {"ok": True},
        "json",
        "data",
        False,
        (("data", inspect.Parameter.empty),),
    )
    app = create_app(config, Invoker(entry, Scorer(), 5000, 30), SwaggerDocuments({}))
    return app.test_client()


@pytest.mark.parametrize("path", ["/", "/score"])
def test_app_431_for_long_request_id(client: flask.testing.FlaskClient, path: str) -> None:
    response = client.get(path, headers={"x-request-id": "a" * 101})
    assert response.status_code == 431
    assert response.get_data() == b'{"message": "x-request-id must not exceed 100 characters"}'
    for name in ("x-request-id", "x-ms-request-id", "x-ms-client-request-id"):
        assert name not in response.headers


@pytest.mark.parametrize("header", ["x-ms-client-request-id", "x-ms-request-id"])
def test_app_431_for_long_ms_ids(client: flask.testing.FlaskClient, header: str) -> None:
    response = client.get("/", headers={header: "c" * 101})
    assert response.status_code == 431
    assert response.get_data() == (
        b'{"message": "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"}'
    )
    assert is_uuid4(response.headers.get("x-request-id"))
    assert "x-ms-request-id" not in response.headers
    assert "x-ms-client-request-id" not in response.headers


def test_app_100_characters_accepted(client: flask.testing.FlaskClient) -> None:
    response = client.get("/", headers={"x-request-id": "a" * 100})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "a" * 100
    assert response.headers["x-ms-request-id"] == "a" * 100
    assert response.headers["x-ms-server-version"] == SERVER_VERSION


def test_app_score_echoes_ids(client: flask.testing.FlaskClient) -> None:
    response = client.post("/score", data="{}", headers={"x-ms-client-request-id": C, "TraceId": "T1"})
    assert response.status_code == 200
    assert is_uuid4(response.headers["x-request-id"])
    assert response.headers.getlist("x-ms-request-id") == [C]
    assert response.headers.getlist("x-ms-client-request-id") == [C]
    assert response.headers["TraceId"] == "T1"


# --- CORS --------------------------------------------------------------------------------------------------


def apply_cors(
    policy: CorsPolicy, origin: Optional[str], method: str = "GET", path: str = "/score", **extra: str
) -> Dict[str, str]:
    request = Headers()
    if origin is not None:
        request["Origin"] = origin
    for name, value in extra.items():
        request[name.replace("_", "-")] = value
    response = Headers(policy.headers(method, path, request))
    return {name: ", ".join(response.getlist(name)) for name in {k for k, _ in response}}


POLICY = CorsPolicy(("http://a.com", "http://b.com"))


def test_cors_allowed_origin_is_echoed() -> None:
    assert apply_cors(POLICY, "http://a.com") == {
        "Access-Control-Allow-Origin": "http://a.com",
        "Vary": "Origin",
    }


def test_cors_origin_match_is_case_insensitive() -> None:
    assert apply_cors(POLICY, "HTTP://B.COM")["Access-Control-Allow-Origin"] == "HTTP://B.COM"


def test_cors_other_origin_gets_nothing() -> None:
    assert apply_cors(POLICY, "http://evil.com") == {}
    assert apply_cors(POLICY, None) == {}


def test_cors_preflight() -> None:
    headers = apply_cors(
        POLICY, "http://a.com", method="OPTIONS", Access_Control_Request_Headers="X-Foo, Content-Type"
    )
    assert headers == {
        "Access-Control-Allow-Origin": "http://a.com",
        "Vary": "Origin",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "X-Foo, Content-Type",
    }


def test_cors_wildcard_allows_every_origin() -> None:
    policy = CorsPolicy(("*",))
    assert (
        apply_cors(policy, "http://anything.example")["Access-Control-Allow-Origin"]
        == "http://anything.example"
    )


@pytest.mark.parametrize(
    ("path", "covered"), [("/", True), ("/score", True), ("/swagger.json", True), ("/x", False)]
)
def test_cors_paths(path: str, covered: bool) -> None:
    assert bool(apply_cors(POLICY, "http://a.com", path=path)) is covered


def test_app_cors_preflight(client: flask.testing.FlaskClient) -> None:
    response = client.options(
        "/score", headers={"Origin": "http://a.com", "Access-Control-Request-Method": "POST"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "http://a.com"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert "Origin" in response.headers.getlist("Vary")
    evil = client.options("/score", headers={"Origin": "http://evil.com"})
    assert "Access-Control-Allow-Origin" not in evil.headers
