"""The 20 conformance checks of the fastml contract (§12), against the real `fastml server` CLI over HTTP.

Test names carry the check number (`test_f09_...`). Servers are shared per module; each runs on its own copy
of a sample service from tests/scripts/fastml/, so its logs/ folder is private.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support import RunningServer, poll_until

from .fastml_launcher import SERVICES_DIR, copy_service, run_fastml, start_fastml

# Starts many servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

TEXT = {"Content-Type": "text/plain"}
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def services_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


def _serve(services_root: Path, name: str, *args: str, copy_as: str | None = None) -> Iterator[RunningServer]:
    folder = services_root / (copy_as or name)
    service = folder if folder.exists() else copy_service(name, services_root)
    if copy_as and not folder.exists():
        service = service.rename(folder)
    with start_fastml(service, args=args) as server:
        yield server


@pytest.fixture(scope="module")
def echo(services_root: Path) -> Iterator[RunningServer]:
    yield from _serve(services_root, "echo")


@pytest.fixture(scope="module")
def probe(services_root: Path) -> Iterator[RunningServer]:
    yield from _serve(services_root, "probe")


@pytest.fixture(scope="module")
def boom(services_root: Path) -> Iterator[RunningServer]:
    yield from _serve(services_root, "boom")


@pytest.fixture(scope="module")
def slow(services_root: Path) -> Iterator[RunningServer]:
    yield from _serve(services_root, "slow")


@pytest.fixture(scope="module")
def slow_2s(services_root: Path) -> Iterator[RunningServer]:
    copy_service("slow", services_root / "timeout")
    yield from _serve(services_root / "timeout", "slow", "--timeout", "2")


def _post(
    server: RunningServer, path: str, body: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    return requests.post(server.url + path, data=body, headers=headers, timeout=30, **kwargs)


def _ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["result"] is True
    assert isinstance(body["metadata"]["duration"], float)
    assert body["metadata"]["duration"] >= 0
    return body  # type: ignore[no-any-return]


def _error(response: requests.Response, status: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["result"] is False
    assert body["data"]["error_type"] == error_type
    # No stack trace and no server path in a body.
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    assert str(SERVICES_DIR.parent) not in response.text
    assert "/tmp" not in response.text
    return body  # type: ignore[no-any-return]


def _service_logs(server: RunningServer, name: str) -> str:
    service = Path(server.proc.args[3])  # fastml server --service-path <dir>
    return (service / "logs" / name).read_text()


def _wait_log(server: RunningServer, name: str, pattern: str, timeout: float = 10.0) -> str:
    found = poll_until(lambda: re.search(pattern, _service_logs(server, name), re.M) is not None, timeout)
    text = _service_logs(server, name)
    assert found, f"{name} has no line matching {pattern!r}:\n{text}"
    return text


def test_f01_health_and_post_health_405(echo: RunningServer) -> None:
    response = requests.get(echo.url + "/health", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"status": "UP"}
    head = requests.head(echo.url + "/health", timeout=5)
    assert (head.status_code, head.content) == (200, b"")
    response = _post(echo, "/health", "x", TEXT)
    _error(response, 405, "MethodNotAllowed")
    assert response.headers["Allow"] == "GET, HEAD"


def test_f02_echo_text(echo: RunningServer) -> None:
    body = _ok(_post(echo, "/infer", "hello", TEXT))
    assert body["data"] == "hello"
    assert body["metadata"]["content_type"] == "text"
    assert body["metadata"]["data_type"] == "string"
    assert set(body) == {"result", "data", "metadata"}


def test_f03_echo_json(echo: RunningServer) -> None:
    body = _ok(_post(echo, "/infer", b'{"a":1}', JSON_TYPE))
    assert body["data"] == {"a": 1}
    assert (body["metadata"]["content_type"], body["metadata"]["data_type"]) == ("json", "json")


def test_f04_json_media_type_is_case_insensitive_and_null_is_fine(echo: RunningServer) -> None:
    body = _ok(_post(echo, "/infer", b"null", {"Content-Type": "Application/JSON; charset=UTF-8"}))
    assert body["data"] is None


def test_f05_binary_is_base64(echo: RunningServer) -> None:
    for content_type in ("application/octet-stream", "application/octet-stream; foo=bar"):
        body = _ok(_post(echo, "/infer", b"RAWBYTES", {"Content-Type": content_type}))
        assert body["data"] == "UkFXQllURVM="
        assert (body["metadata"]["content_type"], body["metadata"]["data_type"]) == ("binary", "binary")


def test_f06_probe_sees_the_python_type_per_kind(probe: RunningServer) -> None:
    def seen(body: Any, content_type: str) -> str:
        return str(_ok(_post(probe, "/infer", body, {"Content-Type": content_type}))["data"]["type"])

    assert seen("hi", "text/plain") == "str"
    assert seen(b"\x00", "application/octet-stream") == "bytes"
    assert seen(b'{"a": 1}', "application/json") == "dict"
    assert seen(b"[1]", "application/json") == "list"
    assert seen(b"1.5", "application/json") == "float"
    assert seen(b"a=1", "application/x-www-form-urlencoded") == "dict"
    multipart = _ok(_post(probe, "/infer", {"a": "1"}, files={"f": ("f.txt", b"x")}))
    assert multipart["data"]["type"] == "dict"
    assert multipart["metadata"]["content_type"] == "form"


def test_f07_multipart_file_objects_and_echoed_metadata(probe: RunningServer, echo: RunningServer) -> None:
    files = {"file": ("f.txt", b"line one\nline two\n", "text/plain")}
    values = _ok(_post(probe, "/infer", {"name": "alice"}, files=files))["data"]["values"]
    assert values["name"] == "str"
    upload = values["file"]
    assert (upload["type"], upload["filename"], upload["name"], upload["content_type"]) == (
        "file",
        "f.txt",
        "file",
        "text/plain",
    )
    assert (upload["position"], upload["first_line"], upload["content"], upload["lines"]) == (
        0,
        "line one\n",
        "line one\nline two\n",
        2,
    )
    assert upload["has_save"]
    assert upload["has_stream"]
    body = _ok(_post(echo, "/infer", {"name": "alice"}, files=files))
    assert body["data"] == {
        "name": "alice",
        "file": {"filename": "f.txt", "content_type": "text/plain", "size": 18},
    }
    assert body["metadata"]["content_type"] == "form"


def test_f08_urlencoded_repeated_names_become_lists(echo: RunningServer) -> None:
    body = _ok(_post(echo, "/infer", b"a=1&b=x&b=y", {"Content-Type": "application/x-www-form-urlencoded"}))
    assert body["data"] == {"a": "1", "b": ["x", "y"]}
    assert body["metadata"]["content_type"] == "form"


def test_f09_boom_500_envelope(boom: RunningServer) -> None:
    request_id = f"f09-{uuid.uuid4()}"
    response = _post(boom, "/infer", b'{"x": 1}', {**JSON_TYPE, "X-Request-Id": request_id})
    body = _error(response, 500, "InferError")
    assert body["data"] == {"message": "boom", "error_type": "InferError"}
    assert body["metadata"]["content_type"] == "json"
    assert isinstance(body["metadata"]["duration"], float)
    errors = _wait_log(boom, "error-access.log", rf" ERROR \d+ {request_id} 500 InferError: boom$")
    after = errors.split(f"{request_id} 500 InferError: boom", 1)[1]
    assert after.lstrip("\n").startswith("Traceback (most recent call last):")
    assert 'raise ValueError("boom")' in after
    assert f"{request_id} 500 InferError: boom" in _service_logs(boom, "app.log")


def test_f10_unsupported_media_types_are_415(echo: RunningServer) -> None:
    body = _error(
        _post(echo, "/infer", b"\x89PNG", {"Content-Type": "image/png"}), 415, "UnsupportedMediaType"
    )
    assert "image/png" in body["data"]["message"]
    assert "application/json" in body["data"]["message"]
    assert body["metadata"]["content_type"] is None
    _error(_post(echo, "/infer", b"no type"), 415, "UnsupportedMediaType")


def test_f11_undecodable_bodies_are_400(echo: RunningServer) -> None:
    body = _error(_post(echo, "/infer", b"{bad", JSON_TYPE), 400, "BadRequest")
    assert body["data"]["message"].startswith("Invalid JSON body")
    assert body["metadata"]["content_type"] == "json"
    _error(_post(echo, "/infer", b"\xff", TEXT), 400, "BadRequest")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"text": "\\ud800"}', "lone surrogate"),
        (b'["\\udfff", 1]', "lone surrogate"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    ],
    ids=["surrogate-in-object", "low-surrogate", "deep-array", "deep-in-object"],
)
def test_undecodable_json_text_and_deep_nesting_are_400(
    echo: RunningServer, body: bytes, detail: str
) -> None:
    envelope = _error(_post(echo, "/infer", body, JSON_TYPE), 400, "BadRequest")
    assert detail in envelope["data"]["message"]
    assert _ok(_post(echo, "/infer", b'"\\ud83d\\ude00"', JSON_TYPE))["data"] == "\U0001f600"


def _multipart(parts: int, boundary: str = "lim") -> bytes:
    one = f'--{boundary}\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n'
    return (one * parts + f"--{boundary}--\r\n").encode()


def test_multipart_part_count_limit_is_413(echo: RunningServer) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=lim"}
    at_limit = _ok(_post(echo, "/infer", _multipart(1000), headers))
    assert len(at_limit["data"]["f"]) == 1000
    envelope = _error(_post(echo, "/infer", _multipart(300_000), headers), 413, "RequestEntityTooLarge")
    assert "at most 1000 parts" in envelope["data"]["message"]
    assert _ok(_post(echo, "/infer", b'{"still": "serving"}', JSON_TYPE))["data"] == {"still": "serving"}


def test_multipart_total_size_limit_is_413_before_reading(echo: RunningServer) -> None:
    """A declared length over the limit is refused from the headers alone: nothing is uploaded."""
    with socket.create_connection(("127.0.0.1", echo.port), timeout=30) as conn:
        conn.sendall(
            b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=lim\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (2**30 + 1)
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body)["data"]["error_type"] == "RequestEntityTooLarge"


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


def test_f12_numpy_nan_is_null_in_strict_json(services_root: Path) -> None:
    server_gen = _serve(services_root, "numpy_nan")
    server = next(server_gen)
    try:
        response = _post(server, "/infer", b"{}", JSON_TYPE)
        assert response.status_code == 200
        body = json.loads(response.text, parse_constant=_reject_constant)
        assert body["data"] == {"array": [[1.5, None], [None, None]], "scalar": 2.5, "count": 3, "flag": True}
    finally:
        server_gen.close()


def test_f13_timeout_is_504_then_health_is_200(slow_2s: RunningServer) -> None:
    started = time.monotonic()
    response = _post(slow_2s, "/infer", b"60", JSON_TYPE)
    elapsed = time.monotonic() - started
    body = _error(response, 504, "Timeout")
    assert "2 s" in body["data"]["message"]
    assert 1.9 <= elapsed < 30  # at the 2 s limit, long before the 60 s inference would end
    assert requests.get(slow_2s.url + "/health", timeout=5).status_code == 200
    # The timed-out call is interrupted, so the worker serves inferences again.
    assert poll_until(lambda: _post(slow_2s, "/infer", b"0", JSON_TYPE).status_code == 200, 5.0)


def test_f14_health_answers_within_1s_during_a_4s_inference(slow: RunningServer) -> None:
    results: list[requests.Response] = []
    request_id = f"f14-{uuid.uuid4()}"
    headers = {**JSON_TYPE, "X-Request-Id": request_id}
    worker = threading.Thread(target=lambda: results.append(_post(slow, "/infer", b"8", headers)))
    worker.start()
    try:
        _wait_log(slow, "app.log", rf"{request_id} slow infer started")
        started = time.monotonic()
        response = requests.get(slow.url + "/health", timeout=5)
        assert response.status_code == 200
        # Within 1 s on an idle machine; asserted here with the margin a loaded machine needs, and by order:
        # well before the 8 s inference ends.
        assert time.monotonic() - started < 4.0
        assert worker.is_alive()  # the inference was still running
    finally:
        worker.join(timeout=30)
    assert _ok(results[0])["data"] == {"slept": 8.0}


def test_f15_log_files(services_root: Path) -> None:
    service = copy_service("two_services", services_root)
    assert not (service / "logs").exists()
    with start_fastml(service) as server:
        assert (service / "logs").is_dir()
        sent = {
            "health": ("GET", "/health", None, 200),
            "ok": ("POST", "/infer", "hi", 200),
            "boom": ("POST", "/infer/boom", "hi", 500),
            "png": ("POST", "/infer", None, 415),
        }
        ids = {}
        for key, (method, path, body, status) in sent.items():
            ids[key] = f"f15-{key}-{uuid.uuid4()}"
            headers = {
                "X-Request-Id": ids[key],
                "Content-Type": "image/png" if key == "png" else "text/plain",
            }
            assert (
                requests.request(
                    method, server.url + path, data=body, headers=headers, timeout=10
                ).status_code
                == status
            )
        access = _wait_log(server, "access.log", re.escape(ids["png"]))
        for key, (method, path, _, status) in sent.items():
            lines = [line for line in access.splitlines() if line.endswith(" " + ids[key])]
            assert len(lines) == 1, access
            assert re.search(
                rf'"{method} {re.escape(path)} HTTP/1.1" {status} \d+ .* \d+\.\d{{3}}ms {ids[key]}$', lines[0]
            )
        app = _wait_log(server, "app.log", rf"{ids['ok']} total cost \d+\.\d+ ms")
        assert "user log line from inference" in app
        errors = _wait_log(server, "error-access.log", rf"ERROR \d+ {ids['boom']} 500 InferError: boom")
        assert re.search(rf"WARNING \d+ {ids['png']} 415 UnsupportedMediaType", errors)
        assert "Listening at" in errors
        assert "loaded services: boom, inference" in errors


def test_f16_load_context_once_per_worker_and_model_path(probe: RunningServer, services_root: Path) -> None:
    data = _ok(_post(probe, "/infer", "x", TEXT))["data"]
    service = Path(probe.proc.args[3])
    assert data["loads"] == 1
    assert data["model_path"] == str(service / "model")
    assert data["service_path"] == str(service)
    assert data["env"] == {"SERVICE_PATH": str(service), "MODEL_PATH": str(service / "model")}
    assert f"probe load_context pid={data['pid']}" in _service_logs(probe, "app.log")

    models = services_root / "elsewhere"
    copy_service("probe", services_root / "workers")
    with start_fastml(
        services_root / "workers" / "probe", args=["--workers", "2", "--model-path", str(models)]
    ) as two:
        text = _wait_log(two, "app.log", r"(?s)probe load_context pid=\d+.*probe load_context pid=\d+")
        pids = set(re.findall(r"probe load_context pid=(\d+)", text))
        assert len(pids) == 2
        data = _ok(_post(two, "/infer", "x", TEXT))["data"]
        assert str(data["pid"]) in pids
        assert data["loads"] == 1
        assert data["model_path"] == str(models)


def test_f17_custom_endpoint(services_root: Path) -> None:
    server_gen = _serve(services_root, "custom_endpoint")
    server = next(server_gen)
    try:
        assert _ok(_post(server, "/infer", "a", TEXT))["data"] == {"endpoint": "custom-arr", "input": "a"}
        assert _ok(_post(server, "/infer/custom-arr", "b", TEXT))["data"]["input"] == "b"
        body = _error(_post(server, "/infer/arr", "c", TEXT), 404, "NotFound")
        assert "custom-arr" in body["data"]["message"]
    finally:
        server_gen.close()


def test_f18_legacy_algo_routes(echo: RunningServer, boom: RunningServer) -> None:
    response = _post(echo, "/algo/inference", b'{"a": 1}', JSON_TYPE)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    body = response.json()
    assert body["status"] is True
    assert body["data"] == {"a": 1}
    assert set(body["metadata"]) == {"duration", "data_type"}
    assert body["metadata"]["data_type"] == "json"
    for server, path in ((boom, "/algo/inference"), (echo, "/algo/missing")):
        response = _post(server, path, "x", TEXT)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] is False
        assert body["data"]["error_type"] == "InferError"
        assert "stacktrace" not in body
        assert "metadata" not in body
    assert requests.get(echo.url + "/health/inference", timeout=5).json() == {"status": "UP"}
    assert requests.get(echo.url + "/health/missing", timeout=5).status_code == 404
    info = requests.get(echo.url + "/info/inference", timeout=5)
    assert info.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r"\d+\.\d+", info.text)


def test_f19_wrong_method_unknown_path_and_request_ids(echo: RunningServer) -> None:
    response = requests.get(echo.url + "/infer", timeout=5)
    _error(response, 405, "MethodNotAllowed")
    assert response.headers["Allow"] == "POST"
    response = requests.get(echo.url + "/nope", timeout=5)
    body = _error(response, 404, "NotFound")
    assert body["metadata"]["content_type"] is None
    _error(requests.post(echo.url + "/infer/", data="x", headers=TEXT, timeout=5), 404, "NotFound")
    for answer in (requests.get(echo.url + "/health", timeout=5), _post(echo, "/infer", "x", TEXT), response):
        assert uuid.UUID(answer.headers["X-Request-Id"]).version == 4
    assert (
        _post(echo, "/infer", "x", {**TEXT, "X-Request-Id": "client-id 1"}).headers["X-Request-Id"]
        == "client-id 1"
    )
    fresh = requests.get(echo.url + "/nope", headers={"X-Request-Id": "y" * 101}, timeout=5).headers[
        "X-Request-Id"
    ]
    assert uuid.UUID(fresh).version == 4


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_f20_cwd_inference_does_not_shadow_and_a_signal_stops_every_process(
    tmp_path: Path, stop: int
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "inference.py").write_text(
        "raise RuntimeError('the stray inference.py in the cwd was imported')\n"
    )
    service = copy_service("echo", tmp_path)
    with start_fastml(service, args=["--workers", "2"], cwd=cwd) as server:
        assert _ok(_post(server, "/infer", "from src", TEXT))["data"] == "from src"
        os.kill(server.pid, stop)
        assert server.wait_exit(timeout=20) == 0
        assert poll_until(lambda: not _group_alive(server.pid), 10.0), "a worker outlived the master"
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/health", timeout=2)


def test_f20_help_exits_0() -> None:
    code, out, _ = run_fastml(["server", "--help"])
    assert code == 0
    assert "--service-path" in out
    assert "--host" in out


# ---- Beyond the 20 checks: the command line (§7) and request handling (§8).


def test_version_and_usage_errors(tmp_path: Path) -> None:
    code, out, _ = run_fastml(["--version"])
    assert code == 0
    assert re.fullmatch(r"fastml, version \S+\n", out)
    for args in (
        ["server", "--service-path", str(tmp_path / "missing")],
        ["server", "--port", "x"],
        ["server", "--workers", "0"],
        ["server", "--timeout", "-1"],
        ["serve"],
        [],
    ):
        code, _, err = run_fastml(args)
        assert code == 2, args
        assert "error:" in err


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("x = 1\n", "No service found"),
        ("import missing_module_xyz\n", "No module named 'missing_module_xyz'"),
        (
            "class S(BaseService):\n"
            "    def load_context(self): raise OSError('no weights')\n"
            "    def infer(self, d): pass\n",
            "OSError: no weights",
        ),
    ],
)
def test_load_failures_exit_3_with_one_stderr_line(tmp_path: Path, source: str, reason: str) -> None:
    (tmp_path / "src").mkdir()
    header = "from fastml_engine.modelservice import BaseService\n"
    (tmp_path / "src" / "inference.py").write_text(header + source)
    code, _, err = run_fastml(["server", "--service-path", str(tmp_path), "--port", "1"], timeout=60)
    assert code == 3, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert reason in lines[0]
    assert "Traceback" in (tmp_path / "logs" / "error-access.log").read_text()


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_wrong_service_path_is_one_clear_line_and_creates_nothing(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "missing" / "deeper"
    if kind == "file":
        target = tmp_path / "a_file"
        target.write_text("not a folder")
    code, _, err = run_fastml(["server", "--service-path", str(target)])
    assert code == 2, err
    [error] = [line for line in err.splitlines() if "error:" in line]
    assert f"'{target}' is not an existing directory" in error
    assert "src/inference.py" in error
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if kind == "missing" else ["a_file"])


def test_log_folder_that_cannot_be_created_exits_1(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file, not a folder")
    code, _, err = run_fastml(["server", "--service-path", str(tmp_path)])
    assert code == 1
    assert err.count("\n") == 1
    assert "log folder" in err


def test_three_concurrent_inferences_on_one_thread_run_one_after_another(slow: RunningServer) -> None:
    finished: list[float] = []
    started = time.monotonic()

    def infer() -> None:
        assert _post(slow, "/infer", b"1", JSON_TYPE).status_code == 200
        finished.append(time.monotonic() - started)

    threads = [threading.Thread(target=infer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(finished) == 3
    # One after another: the k-th answer cannot come before k seconds (in parallel, all three would take ~1 s).
    for expected, seen in zip((1, 2, 3), sorted(finished)):
        assert expected - 0.1 <= seen


def test_scorecheck_fixtures_target_a_fastml_server(echo: RunningServer, tmp_path: Path) -> None:
    """The gate replays fixtures (path, form, files, binary bodies) against a running fastml server."""
    scorecheck = Path(sys.executable).with_name("scorecheck")
    fixtures = SERVICES_DIR.parent / "unified_fastml_fixtures"
    result = subprocess.run(
        [
            str(scorecheck),
            "run",
            "--no-properties",  # these fixtures test the replay; the property phase has its own tests
            "--target",
            echo.url,
            "--junit-xml",
            str(tmp_path / "report.xml"),
            "--",
            str(fixtures),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed 7" in result.stdout
