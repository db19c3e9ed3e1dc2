"""Conformance checks 3 and 30-36: request ids, their limits and TraceId (contract §6.1, §6.2)."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from support import RunningServer

ID_HEADERS = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id")
DEPRECATION = (
    "x-ms-request-id header has been deprecated and will be removed from future versions of the server. "
    "Please use x-ms-client-request-id."
)
TOO_LONG_A = b'{"message": "x-request-id must not exceed 100 characters"}'
TOO_LONG_BC = b'{"message": "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"}'
U = "<generated>"
ROUTES = [("GET", "/"), ("POST", "/score"), ("GET", "/swagger.json")]


def _is_uuid4(value: str) -> bool:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value.lower()


def _send(
    server: RunningServer, headers: dict[str, str], method: str = "POST", path: str = "/score"
) -> requests.Response:
    return requests.request(method, f"{server.url}{path}", headers=headers, data=b"{}", timeout=10)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_c03_generated_ids(hello_server: RunningServer, method: str, path: str) -> None:
    response = _send(hello_server, {}, method, path)
    assert response.status_code == 200
    generated = response.headers["x-request-id"]
    assert _is_uuid4(generated), generated
    assert response.headers["x-ms-request-id"] == generated
    assert "x-ms-client-request-id" not in response.headers


def test_c03_generated_ids_are_fresh(hello_server: RunningServer) -> None:
    first = _send(hello_server, {}, "GET", "/").headers["x-request-id"]
    second = _send(hello_server, {}, "GET", "/").headers["x-request-id"]
    assert first != second


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_empty_request_id_is_not_replaced_and_not_echoed(
    hello_server: RunningServer, method: str, path: str
) -> None:
    # Sent but empty is not missing: the real package (1.5.1) keeps it empty and sends no id headers for it.
    alone = _send(hello_server, {"x-request-id": ""}, method, path)
    assert alone.status_code == 200
    assert not [name for name in ID_HEADERS if name in alone.headers], alone.headers
    with_client_id = _send(hello_server, {"x-request-id": "", "x-ms-client-request-id": "C"}, method, path)
    assert "x-request-id" not in with_client_id.headers
    assert with_client_id.headers["x-ms-request-id"] == "C"
    assert with_client_id.headers["x-ms-client-request-id"] == "C"


def test_c30_request_id_echoed(hello_server: RunningServer) -> None:
    response = _send(hello_server, {"x-request-id": "RID"})
    assert response.headers["x-request-id"] == "RID"
    assert response.headers["x-ms-request-id"] == "RID"
    assert "x-ms-client-request-id" not in response.headers


def test_c31_client_request_id(hello_server: RunningServer) -> None:
    response = _send(hello_server, {"x-ms-client-request-id": "C"})
    assert _is_uuid4(response.headers["x-request-id"])
    assert response.headers["x-ms-request-id"] == "C"
    assert response.headers["x-ms-client-request-id"] == "C"


def test_c32_deprecated_ms_request_id(hello_server: RunningServer) -> None:
    response = _send(hello_server, {"x-ms-request-id": "M"})
    assert _is_uuid4(response.headers["x-request-id"])
    assert response.headers["x-ms-request-id"] == "M"
    assert response.headers["x-ms-client-request-id"] == "M"
    hello_server.wait_for_log(re.compile(r" W \[\d+\] azmlinfsrv - " + re.escape(DEPRECATION) + "$"))


def test_c33_ms_request_id_and_client_request_id(hello_server: RunningServer) -> None:
    response = _send(hello_server, {"x-ms-request-id": "M", "x-ms-client-request-id": "C"})
    assert _is_uuid4(response.headers["x-request-id"])
    assert response.headers["x-ms-request-id"] == "M"
    assert response.headers["x-ms-client-request-id"] == "C"


# (sent A, B, C) -> (returned x-request-id, x-ms-request-id, x-ms-client-request-id); None = absent.
ID_TABLE = [
    ((None, None, None), (U, U, None)),
    (("A", None, None), ("A", "A", None)),
    ((None, "B", None), (U, "B", "B")),
    ((None, None, "C"), (U, "C", "C")),
    (("A", "B", None), ("A", "B", "B")),
    ((None, "B", "C"), (U, "B", "C")),
    (("A", None, "C"), ("A", "C", "C")),
    (("A", "B", "C"), ("A", "B", "C")),
]


def _expected_value(expected: str | None, generated: str) -> str | None:
    return generated if expected == U else expected


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(("sent", "returned"), ID_TABLE)
def test_c33_id_table(
    hello_server: RunningServer,
    sent: tuple[str | None, ...],
    returned: tuple[str | None, ...],
    method: str,
    path: str,
) -> None:
    headers = {name: value for name, value in zip(ID_HEADERS, sent) if value is not None}
    response = _send(hello_server, headers, method, path)
    assert response.status_code == 200
    generated = response.headers.get("x-request-id", "")
    if returned[0] == U:
        assert _is_uuid4(generated), generated
    actual = tuple(response.headers.get(name) for name in ID_HEADERS)
    assert actual == tuple(_expected_value(value, generated) for value in returned)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_c34_request_id_too_long(hello_server: RunningServer, method: str, path: str) -> None:
    response = _send(hello_server, {"x-request-id": "a" * 101}, method, path)
    assert response.status_code == 431
    assert response.content == TOO_LONG_A
    assert response.headers["Content-Type"] == "application/json"
    for name in ID_HEADERS:
        assert name not in response.headers


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_c34_request_id_of_100_characters(hello_server: RunningServer, method: str, path: str) -> None:
    value = "b" * 100
    response = _send(hello_server, {"x-request-id": value}, method, path)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == value


@pytest.mark.parametrize("name", ["x-ms-client-request-id", "x-ms-request-id"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_c35_ms_ids_too_long(hello_server: RunningServer, name: str, method: str, path: str) -> None:
    response = _send(hello_server, {name: "c" * 101}, method, path)
    assert response.status_code == 431
    assert response.content == TOO_LONG_BC
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers.get("x-request-id")
    assert "x-ms-request-id" not in response.headers
    assert "x-ms-client-request-id" not in response.headers


def test_c35_ms_ids_of_100_characters(hello_server: RunningServer) -> None:
    value = "d" * 100
    response = _send(hello_server, {"x-ms-client-request-id": value})
    assert response.status_code == 200
    assert response.headers["x-ms-client-request-id"] == value


@pytest.mark.parametrize("sent_name", ["TraceId", "traceid", "TRACEID"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_c36_trace_id_echoed(hello_server: RunningServer, sent_name: str, method: str, path: str) -> None:
    response = hello_server.raw(method, path, headers={sent_name: "T1"}, body=b"{}")
    assert response.status == 200
    assert [(name, value) for name, value in response.headers if name.lower() == "traceid"] == [
        ("TraceId", "T1")
    ]
