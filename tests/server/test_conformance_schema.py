"""Conformance checks 45-50: the @input_schema object mode (contract §7.4), plus driver modules (§7.1)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, start_server

DATA = [{"a": 1, "b": "x"}]


def _post(server: RunningServer, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(f"{server.url}/score", data=body, headers={"Content-Type": content_type}, timeout=10)


def _assert_input_error(response: requests.Response, status: int, message: bytes) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == message
    assert "x-ms-run-fn-exec-ms" not in response.headers
    assert response.headers["x-ms-run-function-failed"] == "False"


@pytest.fixture(scope="module")
def driver_server(app_root: Path) -> Iterator[RunningServer]:
    with start_server(SCRIPTS_DIR / "driver_outer.py", cwd=app_root) as server:
        yield server


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_c45_wrong_content_type(schema_server: RunningServer, content_type: str) -> None:
    response = _post(schema_server, json.dumps({"data": DATA}).encode(), content_type)
    _assert_input_error(response, 415, b'{"message": "Expects Content-Type to be application/json"}')


def test_c46_bad_json(schema_server: RunningServer) -> None:
    response = _post(schema_server, b"{bad json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("POST body could not be decoded as JSON: ")
    assert "x-ms-run-fn-exec-ms" not in response.headers


def test_c47_empty_body(schema_server: RunningServer) -> None:
    response = _post(schema_server, b"")
    _assert_input_error(response, 400, b'{"message": "POST body is empty. Expecting a JSON dictionary."}')


@pytest.mark.parametrize("body", [b"[1,2]", b'"text"', b"3"])
def test_c47_not_an_object(schema_server: RunningServer, body: bytes) -> None:
    response = _post(schema_server, body)
    _assert_input_error(response, 400, b'{"message": "POST body should be a JSON dictionary."}')


def test_c48_missing_parameter(schema_server: RunningServer) -> None:
    response = _post(schema_server, b'{"scale": 2}')
    _assert_input_error(response, 400, b'{"message": "A value is not provided for the \'data\' parameter."}')


def test_c48_default_used_when_absent(schema_server: RunningServer) -> None:
    response = _post(schema_server, json.dumps({"data": DATA}).encode())
    assert response.status_code == 200
    assert response.json() == {"data": DATA, "scale": 1.0}


def test_c49_extra_keys_ignored(schema_server: RunningServer) -> None:
    response = _post(schema_server, json.dumps({"data": DATA, "scale": 3, "extra": 1}).encode())
    assert response.status_code == 200
    assert response.json() == {"data": DATA, "scale": 3.0}


@pytest.mark.parametrize("content_type", ["application/vnd.api+json", "application/json; charset=utf-8"])
def test_c49_json_content_types_accepted(schema_server: RunningServer, content_type: str) -> None:
    response = _post(schema_server, json.dumps({"data": DATA, "scale": 2}).encode(), content_type)
    assert response.status_code == 200
    assert response.json() == {"data": DATA, "scale": 2.0}


def test_c50_get_with_query(schema_server: RunningServer) -> None:
    query = urllib.parse.urlencode({"data": json.dumps(DATA), "scale": "2"})
    response = requests.get(f"{schema_server.url}/score?{query}", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"data": DATA, "scale": 2.0}


def test_c50_get_without_required_parameter(schema_server: RunningServer) -> None:
    response = requests.get(f"{schema_server.url}/score?scale=2", timeout=10)
    _assert_input_error(response, 400, b'{"message": "A value is not provided for the \'data\' parameter."}')


def test_schema_type_mismatch_is_run_error(schema_server: RunningServer) -> None:
    response = _post(schema_server, json.dumps({"data": DATA, "scale": "not a number"}).encode())
    assert response.status_code == 500
    assert response.headers["x-ms-run-function-failed"] == "True"


def test_schema_mode_logged(schema_server: RunningServer) -> None:
    schema_server.wait_for_log(
        "run() is decorated with @input_schema. Server will invoke it with the following arguments: data, scale."
    )


def test_driver_module_uses_outer_init_and_inner_run(driver_server: RunningServer) -> None:
    response = _post(driver_server, b'{"data": [3, 4]}')
    assert response.status_code == 200
    assert response.json() == {"init": "outer", "data": [3, 4]}
    outer, inner = SCRIPTS_DIR / "driver_outer.py", SCRIPTS_DIR / "driver_inner.py"
    driver_server.wait_for_log(f"Found driver script at {outer} and the score script at {inner}")
