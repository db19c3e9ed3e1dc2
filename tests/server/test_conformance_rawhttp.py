"""Conformance checks 24-28 and 66: @rawhttp scripts, AMLResponse and the azureml.contrib aliases (§7.5)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, start_server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # the bytes raw.py sends
STREAM_ITEMS = [f"item{index}\n".encode() for index in range(5)]
EXEC_MS = re.compile(r"^\d+\.\d{3}$")


@pytest.fixture(scope="module")
def contrib_server(app_root: Path) -> Iterator[RunningServer]:
    with start_server(SCRIPTS_DIR / "contrib_imports.py", cwd=app_root) as server:
        yield server


def test_c24_binary_body_and_single_content_type(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=png")
    assert response.status == 200
    assert response.body == PNG
    assert response.get_all("Content-Type") == ["image/png"]
    assert response.get_all("x-ms-run-function-failed") == ["False"]
    [exec_ms] = response.get_all("x-ms-run-fn-exec-ms")
    assert EXEC_MS.match(exec_ms), exec_ms


def test_c25_comma_header_split_into_lines(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=header")
    assert response.status == 200
    assert response.body == b"ok"
    assert response.get_all("X-Custom") == ["a", "b"]
    assert response.get_all("Content-Type") == ["text/html; charset=utf-8"]


def test_c26_raw_500_marks_run_failed(raw_server: RunningServer) -> None:
    response = raw_server.raw("POST", "/score?kind=error", body=b"")
    assert response.status == 500
    assert response.body == b"bad thing"
    assert response.get_all("x-ms-run-function-failed") == ["True"]


def test_c26_run_function_failed_flag(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=flagged")
    assert response.status == 200
    assert response.body == b"flagged"
    assert response.get_all("x-ms-run-function-failed") == ["True"]
    assert len(response.get_all("x-ms-run-fn-exec-ms")) == 1


def test_c26_any_integer_status(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=status")
    assert response.status == 444
    assert response.body == b"teapot-ish"
    assert response.get_all("x-ms-run-function-failed") == ["False"]


def test_c26_none_message_is_empty_json(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=none")
    assert response.status == 200
    assert response.body == b"{}"
    assert response.get_all("Content-Type") == ["application/json"]


def test_c26_json_str_ignores_user_content_type(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=jsonstr")
    assert response.status == 201
    assert response.body == b'{"k": [1, 2]}'
    assert response.get_all("Content-Type") == ["application/json"]


def test_c26_plain_flask_response(raw_server: RunningServer) -> None:
    response = raw_server.raw("GET", "/score?kind=flask")
    assert response.status == 202
    assert response.body == b"plain flask"
    assert response.get_all("Content-Type") == ["text/plain; charset=utf-8"]
    assert response.get_all("x-ms-run-function-failed") == ["False"]
    assert len(response.get_all("x-ms-run-fn-exec-ms")) == 1
    raw_server.wait_for_log("run() output is HTTP Response")


def _arrival_times(response: requests.Response, started: float) -> tuple[bytes, list[float]]:
    """Read a streamed body; return it and, per expected item, when it had fully arrived."""
    received = b""
    arrivals: list[float] = []
    for chunk in response.iter_content(chunk_size=None):
        received += chunk
        while len(arrivals) < len(STREAM_ITEMS) and b"".join(STREAM_ITEMS[: len(arrivals) + 1]) in received:
            arrivals.append(time.monotonic() - started)
    return received, arrivals


def test_c27_generator_streams_chunked(raw_server: RunningServer) -> None:
    started = time.monotonic()
    with requests.get(f"{raw_server.url}/score?kind=stream", stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers.get("Transfer-Encoding") == "chunked"
        body, arrivals = _arrival_times(response, started)
    assert body == b"".join(STREAM_ITEMS)
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert arrivals[0] < 3.0, arrivals
    assert all(gap >= 0.5 for gap in gaps), arrivals
    assert arrivals[-1] - arrivals[0] >= 3.0, arrivals


def test_c27_streamed_request_log_length(raw_server: RunningServer) -> None:
    with requests.get(f"{raw_server.url}/score?kind=stream&probe=c27", stream=True, timeout=30) as response:
        assert response.content == b"".join(STREAM_ITEMS)
    pattern = re.compile(r"azmlinfsrv - GET /score\?kind=stream&probe=c27 200 \d+\.\d{3}ms N/A$")
    raw_server.wait_for_log(pattern)


def test_c28_raw_get(raw_server: RunningServer) -> None:
    response = requests.get(f"{raw_server.url}/score?kind=echo&x=1&x=2", headers={"X-Foo": "bar"}, timeout=10)
    assert response.status_code == 200
    seen = response.json()
    assert seen["is_flask_request"] is True
    assert seen["method"] == "GET"
    assert seen["path"] == "/score"
    assert seen["args"] == {"kind": ["echo"], "x": ["1", "2"]}
    assert seen["headers"]["X-Foo"] == "bar"


def test_c28_raw_post_body(raw_server: RunningServer) -> None:
    body = b"\x00raw body, not JSON"
    headers = {"Content-Type": "application/octet-stream"}
    response = requests.post(f"{raw_server.url}/score?kind=echo", data=body, headers=headers, timeout=10)
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["body"] == body.decode()
    assert seen["headers"]["Content-Type"] == "application/octet-stream"


def test_c28_raw_options_reaches_run(raw_server: RunningServer) -> None:
    response = requests.options(f"{raw_server.url}/score?kind=echo", timeout=10)
    assert response.status_code == 200
    assert response.json()["method"] == "OPTIONS"
    assert response.headers["X-Echo-Method"] == "OPTIONS"


def test_c28_raw_head_reaches_run(raw_server: RunningServer) -> None:
    response = requests.head(f"{raw_server.url}/score?kind=echo", timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Echo-Method"] == "HEAD"
    assert response.headers["X-Echo-Path"] == "/score"


def test_c28_raw_mode_logged(raw_server: RunningServer) -> None:
    raw_server.wait_for_log(
        "run() is decorated with @rawhttp. Server will invoke it with the flask request object."
    )


def test_c66_contrib_imports_start_and_score(contrib_server: RunningServer) -> None:
    response = requests.post(f"{contrib_server.url}/score", data=b"{}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"ok": True, "method": "POST", "request_class": "AMLRequest"}
