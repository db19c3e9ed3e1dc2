"""Conformance checks 1, 2, 4-11, 19, 20 and 57: routes, statuses, bodies and fixed headers (contract §6, §18)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azmlinfsrv import SERVER_VERSION
from support import SCRIPTS_DIR, RunningServer, start_server

HTML = "text/html; charset=utf-8"
HELLO = b'{"message": "Hello, World!"}'
NOT_ALLOWED = b'{"message": "The method is not allowed for the requested URL."}'
NOT_FOUND = (
    b'{"message": "The requested URL was not found on the server. If you entered the URL manually please '
    b'check your spelling and try again."}'
)
EXEC_MS = re.compile(r"^\d+\.\d{3}$")
MEGABYTE = 1024 * 1024
PRE_BANNER = (
    "The environment variable 'AZUREML_MODEL_DIR' has not been set.",
    "Use the --model_dir command line argument to set it.",
)
BANNER = """
Server Settings
---------------
Entry Script Name: {script}
Model Directory: None
Config File: None
Worker Count: 1
Worker Timeout (seconds): 300
Server Port: {port}
Health Port: {port}
Application Insights Enabled: false
Application Insights Key: None
Inferencing HTTP server version: {version}
CORS for the specified origins: None
Create dedicated endpoint for health: None


Server Routes
---------------
Liveness Probe: GET   127.0.0.1:{port}/
Score:          POST  127.0.0.1:{port}/score
"""


def _assert_has_ids(response: requests.Response) -> None:
    assert response.headers.get("x-request-id")
    assert response.headers.get("x-ms-request-id")


@pytest.fixture(scope="module")
def no_version_server(app_root: Path) -> Iterator[RunningServer]:
    env = {"SERVER_VERSION_LOG_RESPONSE_ENABLED": "false"}
    with start_server(SCRIPTS_DIR / "hello.py", env=env, cwd=app_root) as server:
        yield server


def test_c01_get_root_healthy(hello_server: RunningServer) -> None:
    response = requests.get(f"{hello_server.url}/", timeout=10)
    assert response.status_code == 200
    assert response.content == b"Healthy"
    assert response.headers["Content-Type"] == HTML


def test_c02_head_root(hello_server: RunningServer) -> None:
    response = requests.head(f"{hello_server.url}/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "7"
    assert response.content == b""


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("POST", "/score"), ("GET", "/swagger.json")])
def test_c04_server_version_header(hello_server: RunningServer, method: str, path: str) -> None:
    response = requests.request(method, f"{hello_server.url}{path}", data=b"{}", timeout=10)
    assert response.status_code == 200
    assert response.headers["x-ms-server-version"] == SERVER_VERSION
    assert SERVER_VERSION == "azmlinfsrv/1.5.1"


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("POST", "/score"), ("GET", "/swagger.json")])
def test_c04_server_version_header_disabled(no_version_server: RunningServer, method: str, path: str) -> None:
    response = requests.request(method, f"{no_version_server.url}{path}", data=b"{}", timeout=10)
    assert response.status_code == 200
    assert "x-ms-server-version" not in response.headers


def test_c05_post_root_not_allowed(hello_server: RunningServer) -> None:
    response = requests.post(f"{hello_server.url}/", data="x", timeout=10)
    assert response.status_code == 405
    assert response.content == NOT_ALLOWED
    assert response.headers["Content-Type"] == "application/json"
    _assert_has_ids(response)
    assert response.headers["x-ms-server-version"] == SERVER_VERSION


def test_c06_unknown_path_not_found(hello_server: RunningServer) -> None:
    response = requests.get(f"{hello_server.url}/nope", timeout=10)
    assert response.status_code == 404
    assert response.content == NOT_FOUND
    assert response.headers["Content-Type"] == "application/json"
    _assert_has_ids(response)
    assert response.headers["x-ms-server-version"] == SERVER_VERSION


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/score/"), ("POST", "/SCORE"), ("GET", "/Swagger.json")]
)
def test_c07_paths_are_exact_and_case_sensitive(hello_server: RunningServer, method: str, path: str) -> None:
    response = requests.request(method, f"{hello_server.url}{path}", data="{}", timeout=10)
    assert response.status_code == 404
    assert response.content == NOT_FOUND


def test_c07_repeated_slashes_merge(hello_server: RunningServer) -> None:
    response = hello_server.raw("POST", "//score", headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status == 200
    assert response.body == HELLO


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_c08_other_methods_on_score_not_allowed(hello_server: RunningServer, method: str) -> None:
    response = requests.request(method, f"{hello_server.url}/score", data="{}", timeout=10)
    assert response.status_code == 405
    assert response.content == NOT_ALLOWED
    assert response.headers["Content-Type"] == "application/json"
    _assert_has_ids(response)
    assert response.headers["x-ms-server-version"] == SERVER_VERSION


def test_c08_other_method_on_swagger_not_allowed(hello_server: RunningServer) -> None:
    response = requests.put(f"{hello_server.url}/swagger.json", data="{}", timeout=10)
    assert response.status_code == 405
    assert response.content == NOT_ALLOWED


def test_c09_hello_post_score(hello_server: RunningServer) -> None:
    response = requests.post(f"{hello_server.url}/score", json={"a": 1}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == HELLO


def test_c09_request_log_line(hello_server: RunningServer) -> None:
    requests.post(f"{hello_server.url}/score?probe=c09", json={"a": 1}, timeout=10)
    pattern = re.compile(r" I \[\d+\] azmlinfsrv - POST /score\?probe=c09 200 \d+\.\d{3}ms 28$")
    hello_server.wait_for_log(pattern)


def test_c10_hello_get_score(hello_server: RunningServer) -> None:
    response = requests.get(f"{hello_server.url}/score", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == HELLO


def test_c11_success_headers(hello_server: RunningServer) -> None:
    response = hello_server.raw("POST", "/score", headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status == 200
    assert response.get_all("x-ms-run-function-failed") == ["False"]
    [exec_ms] = response.get_all("x-ms-run-fn-exec-ms")
    assert EXEC_MS.match(exec_ms), exec_ms


def test_c19_options_score_not_raw(hello_server: RunningServer) -> None:
    response = requests.options(f"{hello_server.url}/score", timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"] == HTML
    assert response.headers["x-ms-run-function-failed"] == "False"
    assert "x-ms-run-fn-exec-ms" not in response.headers


def test_c19_options_score_does_not_call_run(echo_server: RunningServer) -> None:
    before = requests.post(f"{echo_server.url}/score", data="x", timeout=10).json()["calls"]
    assert requests.options(f"{echo_server.url}/score", timeout=10).status_code == 200
    after = requests.post(f"{echo_server.url}/score", data="x", timeout=10).json()["calls"]
    assert after == before + 1


def test_c20_head_score_not_allowed(hello_server: RunningServer) -> None:
    response = requests.head(f"{hello_server.url}/score", timeout=10)
    expected = b'{"message": "Method not allowed"}'
    assert response.status_code == 405
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == str(len(expected))


@pytest.mark.parametrize("path", ["/", "/swagger.json"])
def test_options_root_and_swagger_allow(hello_server: RunningServer, path: str) -> None:
    response = requests.options(f"{hello_server.url}{path}", timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert "GET" in response.headers["Allow"]


def _body_chunks(total: int) -> Iterator[bytes]:
    chunk = b"a" * MEGABYTE
    for _ in range(total // MEGABYTE):
        yield chunk


def test_c57_sixty_megabyte_post(hello_server: RunningServer) -> None:
    response = requests.post(
        f"{hello_server.url}/score",
        data=_body_chunks(60 * MEGABYTE),
        headers={"Content-Type": "text/plain"},
        timeout=120,
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {"message": "Hello, World!"}


def test_transport_request_line_too_long(hello_server: RunningServer) -> None:
    response = requests.get(f"{hello_server.url}/score?q={'x' * 5000}", timeout=10)
    assert response.status_code == 414


def test_transport_header_field_too_long(hello_server: RunningServer) -> None:
    response = requests.get(f"{hello_server.url}/", headers={"X-Big": "y" * 9000}, timeout=10)
    assert response.status_code == 431


def test_banner(hello_server: RunningServer) -> None:
    port = hello_server.port
    banner = BANNER.format(script=SCRIPTS_DIR / "hello.py", port=port, version=SERVER_VERSION)
    hello_server.wait_for_log(f"Score:          POST  127.0.0.1:{port}/score")
    assert banner in hello_server.logs()
    assert "\nAzure ML Inferencing HTTP server v1.5.1\n\n\nServer Settings\n" in hello_server.logs()
    for line in PRE_BANNER:
        hello_server.wait_for_log(line)
