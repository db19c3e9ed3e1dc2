"""Conformance checks 12-18, 21-23, 29 and 67: the JSON-string input mode, errors, return values, timeout."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, start_server

RAISED = b'{"message": "An unexpected error occurred in scoring script. Check the logs for more info."}'
INTERNAL = b'{"message": "An unexpected internal error occurred. Check the logs for more info."}'
TIMEOUT = b'{"message": "Scoring timeout after 1000 ms"}'
WARNING_LINE = r" W \[\d+\] \S+ - "


def _message(response: requests.Response) -> str:
    return str(response.json()["message"])


@pytest.fixture(scope="module")
def timeout_server(app_root: Path) -> Iterator[RunningServer]:
    env = {"SCORING_TIMEOUT_MS": "1000"}
    with start_server(SCRIPTS_DIR / "sleep.py", env=env, cwd=app_root) as server:
        yield server


def _echo(server: RunningServer, body: bytes, content_type: str) -> requests.Response:
    return requests.post(f"{server.url}/score", data=body, headers={"Content-Type": content_type}, timeout=10)


def test_c12_invalid_json_reaches_undecorated_run(hello_server: RunningServer) -> None:
    response = _echo(hello_server, b"{bad json", "application/json")
    assert response.status_code == 200
    assert response.content == b'{"message": "Hello, World!"}'


def test_c13_text_plain_accepted(hello_server: RunningServer) -> None:
    response = _echo(hello_server, b"just text", "text/plain")
    assert response.status_code == 200
    assert response.content == b'{"message": "Hello, World!"}'


def test_c14_json_body_passed_as_exact_string(echo_server: RunningServer) -> None:
    response = _echo(echo_server, b'{"x":1}', "application/json")
    assert response.status_code == 200
    assert response.json()["data"] == '{"x":1}'
    assert response.json()["type"] == "str"


def test_c14_invalid_json_passed_as_is(echo_server: RunningServer) -> None:
    response = _echo(echo_server, b"{bad json", "application/json")
    assert response.json()["data"] == "{bad json"


def test_c15_form_body_arrives_empty_with_warning(echo_server: RunningServer) -> None:
    response = _echo(echo_server, b"a=1&b=2", "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.json()["data"] == ""
    echo_server.wait_for_log(re.compile(WARNING_LINE + ".*rawhttp"))


def test_c16_get_query_as_json_string(echo_server: RunningServer) -> None:
    response = requests.get(f"{echo_server.url}/score?a=1&b=[1,2]&c=x&c=y&d=null", timeout=10)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == '{"a": 1, "b": [1, 2], "c": ["x", "y"], "d": null}'


@pytest.mark.parametrize(
    ("query", "data"),
    [
        ("a=&b=1.5&c=true&d=%22q%22", '{"a": "", "b": 1.5, "c": true, "d": "q"}'),
        ("e=%7B%22k%22%3A1%7D&k=%C3%A9", '{"e": {"k": 1}, "k": "\\u00e9"}'),
    ],
)
def test_c16_query_values(echo_server: RunningServer, query: str, data: str) -> None:
    response = requests.get(f"{echo_server.url}/score?{query}", timeout=10)
    assert response.status_code == 200
    assert response.json()["data"] == data


def test_c16_bare_get_is_empty_object(echo_server: RunningServer) -> None:
    response = requests.get(f"{echo_server.url}/score", timeout=10)
    assert response.status_code == 200
    assert response.json()["data"] == "{}"


def test_c17_non_utf8_body_rejected(echo_server: RunningServer) -> None:
    body = b"\xff\xfe"
    with pytest.raises(UnicodeDecodeError) as error:
        body.decode("utf-8")
    response = _echo(echo_server, body, "application/octet-stream")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert _message(response).startswith("Input cannot be decoded as UTF-8: ")
    assert _message(response) == f"Input cannot be decoded as UTF-8: {error.value}"
    assert "x-ms-run-fn-exec-ms" not in response.headers
    assert response.headers["x-ms-run-function-failed"] == "False"


def test_c18_request_headers_title_case(echo_server: RunningServer) -> None:
    headers = {"content-type": "application/json", "x-foo": "bar"}
    response = requests.post(f"{echo_server.url}/score", data=b"{}", headers=headers, timeout=10)
    received = response.json()["headers"]
    assert received["Content-Type"] == "application/json"
    assert received["X-Foo"] == "bar"


def test_c18_request_headers_on_get(echo_server: RunningServer) -> None:
    response = requests.get(f"{echo_server.url}/score", headers={"x-foo": "baz"}, timeout=10)
    assert response.json()["headers"]["X-Foo"] == "baz"


def test_c21_raise_returns_500(raise_server: RunningServer) -> None:
    response = raise_server.raw("POST", "/score", headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status == 500
    assert response.body == RAISED
    assert response.get_all("Content-Type") == ["application/json"]
    assert response.get_all("x-ms-run-function-failed") == ["True"]
    assert response.get_all("x-ms-run-fn-exec-ms") == []
    assert requests.get(f"{raise_server.url}/", timeout=10).status_code == 200


def test_c21_raise_is_logged(raise_server: RunningServer) -> None:
    requests.post(f"{raise_server.url}/score", data=b"{}", timeout=10)
    raise_server.wait_for_log(re.compile(r" E \[\d+\] azmlinfsrv - Encountered Exception: "))
    raise_server.wait_for_log("ValueError: raise_error.py raised on purpose")


@pytest.mark.parametrize(
    ("kind", "body"),
    [("none", b"{}"), ("string", b'"plain string"'), ("list", b"[1, 2, 3]")],
)
def test_c22_return_values(returns_server: RunningServer, kind: str, body: bytes) -> None:
    response = _echo(returns_server, kind.encode(), "text/plain")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == body


def test_c22_nan_is_sent_bare_with_warning(returns_server: RunningServer) -> None:
    response = _echo(returns_server, b"nan", "text/plain")
    assert response.status_code == 200
    assert response.content == b'{"v": NaN}'
    returns_server.wait_for_log(re.compile(WARNING_LINE + ".*NaN"))


def test_c22_infinity_is_sent_bare(returns_server: RunningServer) -> None:
    response = _echo(returns_server, b"inf", "text/plain")
    assert response.status_code == 200
    assert response.content == b"[Infinity, -Infinity]"


def test_c23_set_is_internal_error(returns_server: RunningServer) -> None:
    response = returns_server.raw("POST", "/score", headers={"Content-Type": "text/plain"}, body=b"set")
    assert response.status == 500
    assert response.body == INTERNAL
    assert response.get_all("x-ms-run-function-failed") == ["False"]


def test_c67_numpy_result_is_internal_error(returns_server: RunningServer) -> None:
    response = returns_server.raw("POST", "/score", headers={"Content-Type": "text/plain"}, body=b"numpy")
    assert response.status == 500
    assert response.body == INTERNAL
    assert response.get_all("x-ms-run-function-failed") == ["False"]
    returns_server.wait_for_log(".tolist()")


def test_c29_scoring_timeout(timeout_server: RunningServer) -> None:
    started = time.monotonic()
    response = timeout_server.raw("POST", "/score", body=json.dumps({"seconds": 60}).encode())
    elapsed = time.monotonic() - started
    assert response.status == 500
    assert response.body == TIMEOUT
    assert response.get_all("x-ms-run-function-failed") == ["True"]
    assert response.get_all("x-ms-run-fn-exec-ms") == []
    # Not before the 1 s limit, and long before the 60 s sleep would have ended.
    assert 0.9 <= elapsed < 30, elapsed


def test_c29_server_serves_after_timeout(timeout_server: RunningServer) -> None:
    timeout_server.raw("POST", "/score", body=b'{"seconds": 2}')
    assert requests.get(f"{timeout_server.url}/", timeout=10).status_code == 200
    response = requests.post(f"{timeout_server.url}/score", data=b'{"seconds": 0.1}', timeout=10)
    assert response.status_code == 200
    assert response.json() == {"slept": 0.1}


def test_c29_timeout_stops_python_code(timeout_server: RunningServer) -> None:
    busy = timeout_server.raw("POST", "/score", body=b'{"seconds": 60, "busy": true}')
    assert busy.status == 500
    assert busy.body == TIMEOUT
    # Had the spinning run() gone on, this request would wait behind it for most of its 60 s.
    response = requests.post(
        f"{timeout_server.url}/score", data=b'{"seconds": 0.1, "busy": true}', timeout=30
    )
    assert response.status_code == 200


def test_c29_timeout_logged_at_startup(timeout_server: RunningServer) -> None:
    timeout_server.wait_for_log("Scoring timeout is set to 1000")
