"""The unified API on `azmlinfsrv`: /health and /infer serving a plain `run(input_data)` entry script, the
--log-dir files, and scorecheck fixtures aimed at /infer."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, poll_until, start_server

SCRIPT = SCRIPTS_DIR / "unified_probe.py"
TEXT = {"Content-Type": "text/plain"}


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("azml") / "not" / "yet" / "logs"


@pytest.fixture(scope="module")
def server(log_dir: Path) -> Iterator[RunningServer]:
    assert not log_dir.exists()
    # gunicorn explicitly: the access-log latency comes from gunicorn's request timing.
    args = ["--log-dir", str(log_dir), "--server", "gunicorn"]
    with start_server(SCRIPT, args=args, cwd=log_dir.parents[2]) as running:
        yield running


def _infer(
    server: RunningServer,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path: str = "/infer",
    **kwargs: Any,
) -> requests.Response:
    return requests.post(server.url + path, data=body, headers=headers, timeout=30, **kwargs)


def _data(response: requests.Response, kind: str) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] is True
    assert body["metadata"]["content_type"] == kind
    assert isinstance(body["metadata"]["duration"], float)
    return body["data"]


def test_health(server: RunningServer) -> None:
    response = requests.get(server.url + "/health", headers={"x-request-id": "h-1"}, timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "UP"})
    assert response.headers["x-request-id"] == "h-1"


def test_text_json_and_binary_values(server: RunningServer) -> None:
    assert _data(_infer(server, "hello", TEXT), "text") == {"type": "str", "value": "hello"}
    assert _data(_infer(server, b'{"a": [1, 2]}', {"Content-Type": "application/json"}), "json") == {
        "type": "dict",
        "value": {"a": [1, 2]},
        "fields": {"a": ["int", "int"]},
    }
    assert _data(_infer(server, b"null", {"Content-Type": "application/json"}), "json") == {
        "type": "NoneType",
        "value": None,
    }
    data = _data(_infer(server, b"\x00\xffRAW", {"Content-Type": "application/octet-stream"}), "binary")
    assert data == {"type": "bytes", "value": "AP9SQVc="}


@pytest.mark.parametrize(
    ("charset", "text"), [("latin-1", "café"), ("shift_jis", "日本語"), ("cp1252", "€uro")]
)
def test_text_in_a_non_utf8_charset(server: RunningServer, charset: str, text: str) -> None:
    response = _infer(server, text.encode(charset), {"Content-Type": f"text/plain; charset={charset}"})
    assert _data(response, "text")["value"] == text


def test_urlencoded_form(server: RunningServer) -> None:
    data = _data(
        _infer(server, b"a=1&b=x&b=y", {"Content-Type": "application/x-www-form-urlencoded"}), "form"
    )
    assert data["value"] == {"a": "1", "b": ["x", "y"]}


def test_multipart_with_several_files(server: RunningServer) -> None:
    files = [
        ("image", ("a.png", b"\x89PNG-a", "image/png")),
        ("image", ("b.png", b"\x89PNG-bb", "image/png")),
        ("doc", ("notes.txt", "é".encode(), "text/plain; charset=utf-8")),
    ]
    data = _data(_infer(server, {"name": "alice", "tag": ["x", "y"]}, files=files), "form")
    assert data["type"] == "dict"
    assert data["fields"] == {
        "name": "str",
        "tag": ["str", "str"],
        "image": [
            {"filename": "a.png", "content_type": "image/png", "content": "\x89PNG-a"},
            {"filename": "b.png", "content_type": "image/png", "content": "\x89PNG-bb"},
        ],
        "doc": {"filename": "notes.txt", "content_type": "text/plain; charset=utf-8", "content": "Ã©"},
    }
    assert data["value"]["image"] == [
        {"filename": "a.png", "content_type": "image/png", "size": 6},
        {"filename": "b.png", "content_type": "image/png", "size": 7},
    ]
    assert data["value"]["tag"] == ["x", "y"]


def _error(response: requests.Response, status: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["result"] is False
    assert body["data"]["error_type"] == error_type
    assert "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


def test_model_error_is_a_500_envelope(server: RunningServer) -> None:
    body = _error(_infer(server, "boom", TEXT), 500, "InferError")
    assert body["data"]["message"] == "model exploded"
    assert body["metadata"]["content_type"] == "text"


def test_client_errors(server: RunningServer) -> None:
    _error(_infer(server, b"x", {"Content-Type": "image/png"}), 415, "UnsupportedMediaType")
    _error(_infer(server, b"x", {"Content-Type": "text/plain; charset=no-such"}), 415, "UnsupportedMediaType")
    _error(_infer(server, b"{bad", {"Content-Type": "application/json"}), 400, "BadRequest")
    _error(_infer(server, b"\xff", TEXT), 400, "BadRequest")
    response = requests.get(server.url + "/infer", timeout=5)
    _error(response, 405, "MethodNotAllowed")
    assert response.headers["Allow"] == "POST"
    assert _data(_infer(server, "x", TEXT, path="/infer/score"), "text")["value"] == "x"
    _error(_infer(server, "x", TEXT, path="/infer/other"), 404, "NotFound")


def test_azmlinfsrv_request_id_rules_apply(server: RunningServer) -> None:
    response = _infer(server, "x", {**TEXT, "x-request-id": "rid-7"})
    assert response.headers["x-request-id"] == "rid-7"
    too_long = _infer(server, "x", {**TEXT, "x-request-id": "r" * 101})
    assert too_long.status_code == 431


def test_score_route_is_unchanged(server: RunningServer) -> None:
    response = requests.post(
        server.url + "/score", data=b'{"a": 1}', headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"type": "str", "value": '{"a": 1}'}  # the json mode hands run() the raw text
    assert requests.get(server.url + "/", timeout=5).text == "Healthy"


def _read(folder: Path, name: str) -> str:
    path = folder / name
    return path.read_text() if path.exists() else ""


def _wait(folder: Path, name: str, pattern: str) -> str:
    found = poll_until(lambda: re.search(pattern, _read(folder, name), re.M) is not None, 10.0)
    assert found, f"{name} has no line matching {pattern!r}:\n{_read(folder, name)}"
    return _read(folder, name)


def test_log_dir_files(server: RunningServer, log_dir: Path) -> None:
    ok_id, boom_id = f"ok-{uuid.uuid4()}", f"boom-{uuid.uuid4()}"
    _infer(server, "fine", {**TEXT, "x-request-id": ok_id})
    _infer(server, "boom", {**TEXT, "x-request-id": boom_id})
    access = _wait(log_dir, "access.log", re.escape(boom_id))
    assert re.search(rf'"POST /infer HTTP/1.1" 200 \d+ .* \d+\.\d{{3}}ms {ok_id}$', access, re.M)
    assert re.search(rf'"POST /infer HTTP/1.1" 500 \d+ .* \d+\.\d{{3}}ms {boom_id}$', access, re.M)
    errors = _wait(log_dir, "error-access.log", rf" ERROR \d+ {boom_id} 500 InferError: model exploded$")
    assert errors.split(f"{boom_id} 500 InferError: model exploded", 1)[1].lstrip().startswith("Traceback")
    app = _wait(log_dir, "app.log", rf"{ok_id} total cost \d+\.\d+ ms")
    assert re.search(rf"\t{ok_id} unified_probe run got str$", app, re.M)
    assert "unified_probe init" in app


def test_scoring_timeout_is_a_504_envelope(tmp_path: Path) -> None:
    with start_server(SCRIPT, env={"SCORING_TIMEOUT_MS": "500"}, cwd=tmp_path) as server:
        body = _error(_infer(server, "sleep", TEXT), 504, "Timeout")
        assert "500 ms" in body["data"]["message"]
        assert requests.get(server.url + "/health", timeout=5).status_code == 200


def test_scorecheck_fixtures_target_the_unified_routes(tmp_path: Path) -> None:
    """Fixtures with path, form, files and binary bodies aimed at /infer and /health, run by the real gate."""
    scorecheck = Path(sys.executable).with_name("scorecheck")
    fixtures = SCRIPTS_DIR / "unified_fixtures"
    result = subprocess.run(
        [
            str(scorecheck),
            "run",
            "--no-properties",  # these fixtures test the replay; the property phase has its own tests
            str(SCRIPT),
            str(fixtures),
            "--junit-xml",
            str(tmp_path / "report.xml"),
            "-v",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The five fixtures and the runtime suite's startup_time; memory_growth is not checked in a replay-only run.
    assert "passed 6  failed 0  error 0  skipped 1" in result.stdout
