"""Conformance checks 55 and 60-65: CORS, script imports, config.json, log levels and the debugger."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, free_port, run_to_exit, server_args, start_server

ORIGINS = "http://a.com, http://b.com"
EXTRA_KEYS = (
    "Found extra keys in the config file that are not supported by the server.\nExtra keys = ['EXTRA_KEY']"
)
NO_DEBUGPY = "** Cannot connect to a debugger because debugpy is not installed."
AZMLINFSRV_INFO = re.compile(r" I \[\d+\] azmlinfsrv(\.\S+)? - ")
WARNING_LINE = r" W \[\d+\] \S+ - "


def _serve(
    script: Path, cwd: Path, args: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    with start_server(script, args=args, env=env, cwd=cwd) as server:
        yield server


@pytest.fixture(scope="module")
def cors_server(app_root: Path) -> Iterator[RunningServer]:
    args = ("--access_control_allow_origins", ORIGINS)
    yield from _serve(SCRIPTS_DIR / "hello.py", app_root, args=args)


def _preflight(server: RunningServer, origin: str, path: str = "/score") -> requests.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    return requests.options(f"{server.url}{path}", headers=headers, timeout=10)


def _vary(response: requests.Response) -> list[str]:
    return [token.strip().lower() for token in response.headers.get("Vary", "").split(",")]


@pytest.mark.parametrize("path", ["/score", "/", "/swagger.json"])
def test_c55_cors_preflight_allowed_origin(cors_server: RunningServer, path: str) -> None:
    response = _preflight(cors_server, "http://a.com", path)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://a.com"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert "origin" in _vary(response)


def test_c55_cors_preflight_other_origin(cors_server: RunningServer) -> None:
    response = _preflight(cors_server, "http://evil.com")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


@pytest.mark.parametrize("origin", ["http://b.com", "http://A.COM"])
def test_c55_cors_simple_request(cors_server: RunningServer, origin: str) -> None:
    response = requests.post(f"{cors_server.url}/score", data=b"{}", headers={"Origin": origin}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "origin" in _vary(response)


def test_c55_cors_logged(cors_server: RunningServer) -> None:
    cors_server.wait_for_log("Enabling CORS for the following origins: http://a.com, http://b.com")


@pytest.fixture(scope="module")
def cors_any_raw_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve(SCRIPTS_DIR / "raw.py", app_root, args=("--access_control_allow_origins", "*"))


@pytest.mark.parametrize("origin", ["http://x.org", "https://anything.example"])
def test_c55_cors_star_with_rawhttp_options(cors_any_raw_server: RunningServer, origin: str) -> None:
    response = _preflight(cors_any_raw_server, origin, "/score?kind=echo")
    assert response.status_code == 200
    assert response.headers["X-Echo-Method"] == "OPTIONS"
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert "origin" in _vary(response)


def test_c60_sibling_import_from_other_cwd(tmp_path: Path) -> None:
    with start_server(SCRIPTS_DIR / "with_helper" / "score.py", cwd=tmp_path) as server:
        response = requests.post(f"{server.url}/score", data=b"{}", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"greeting": "hello from helper.py"}


def test_c61_user_modules_named_like_server_modules(tmp_path: Path) -> None:
    with start_server(SCRIPTS_DIR / "with_shadow" / "score.py", cwd=tmp_path) as server:
        response = requests.post(f"{server.url}/score", data=b"{}", timeout=10)
        assert response.status_code == 200
        assert response.json() == {"utils": "user utils.py", "config": "user config.py"}
        server.wait_for_log(re.compile(WARNING_LINE + r".*\butils\b"))
        server.wait_for_log(re.compile(WARNING_LINE + r".*\bconfig\b"))


def test_c62_stray_config_list_exits_3(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text("[1, 2]")
    code, output = run_to_exit(server_args(SCRIPTS_DIR / "hello.py", free_port()), cwd=tmp_path, timeout=60)
    assert code == 3, output
    assert str(config) in output
    assert "rename" in output.lower()
    assert "move" in output.lower()


@pytest.fixture(scope="module")
def quiet_server(app_root: Path) -> Iterator[RunningServer]:
    env = {"AZUREML_LOG_LEVEL": "WARNING"}
    yield from _serve(SCRIPTS_DIR / "logging_user.py", app_root, env=env)


@pytest.fixture(scope="module")
def logging_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve(SCRIPTS_DIR / "logging_user.py", app_root)


def test_c63_warning_level_hides_info(quiet_server: RunningServer) -> None:
    assert requests.post(f"{quiet_server.url}/score", data=b"{}", timeout=10).status_code == 200
    quiet_server.wait_for_log(re.compile(r" W \[\d+\] root - user-warning-marker from logging_user.py$"))
    assert quiet_server.log_matches(AZMLINFSRV_INFO) == []
    assert quiet_server.log_matches("user-info-marker") == []


def test_c63_default_level_shows_user_info(logging_server: RunningServer) -> None:
    assert requests.post(f"{logging_server.url}/score", data=b"{}", timeout=10).status_code == 200
    logging_server.wait_for_log(re.compile(r" I \[\d+\] root - user-info-marker from logging_user.py$"))
    logging_server.wait_for_log(re.compile(r" I \[\d+\] azmlinfsrv - POST /score 200 "))


def test_c64_debug_port_without_debugpy_exits_3(app_root: Path, tmp_path: Path) -> None:
    fake = tmp_path / "debugpy"
    fake.mkdir()
    (fake / "__init__.py").write_text('raise ImportError("debugpy is hidden by the test")\n')
    env = {"AZUREML_DEBUG_PORT": str(free_port()), "PYTHONPATH": str(tmp_path)}
    args = server_args(SCRIPTS_DIR / "hello.py", free_port())
    code, output = run_to_exit(args, env=env, cwd=app_root, timeout=60)
    assert code == 3, output
    assert output.count(NO_DEBUGPY) == 1, output
    assert "!! Starting the inference server in DEBUGGING mode because AZUREML_DEBUG_PORT is set." in output


def _config_server(tmp_path: Path, content: dict[str, object]) -> RunningServer:
    config = tmp_path / "server_config.json"
    config.write_text(json.dumps(content))
    args = ["--config_file", str(config)]
    return start_server(SCRIPTS_DIR / "hello.py", args=args, cwd=tmp_path)


def test_c65_extra_key_warning(tmp_path: Path) -> None:
    content = {"SCORING_TIMEOUT_MS": 5000, "SERVICE_NAME": "cfg", "AML_CORS_ORIGINS": "*", "EXTRA_KEY": 1}
    with _config_server(tmp_path, content) as server:
        server.wait_for_log("Scoring timeout is set to 5000")
        assert server.logs().count(EXTRA_KEYS) == 1, server.logs()


def test_c65_no_warning_without_extra_keys(tmp_path: Path) -> None:
    with _config_server(tmp_path, {"SCORING_TIMEOUT_MS": 5000, "SERVICE_NAME": "cfg"}) as server:
        server.wait_for_log("Scoring timeout is set to 5000")
        assert "Found extra keys" not in server.logs()


def test_config_discovered_in_app_root_with_env_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"SERVICE_NAME": "auto-svc", "SCORING_TIMEOUT_MS": 5000}))
    env = {"SCORING_TIMEOUT_MS": "2000"}
    with start_server(SCRIPTS_DIR / "hello.py", env=env, cwd=tmp_path) as server:
        server.wait_for_log("Scoring timeout is set to 2000")
        swagger = requests.get(f"{server.url}/swagger.json", timeout=10).json()
        assert swagger["info"]["title"] == "auto-svc"
        server.wait_for_log(re.compile(rf"^Config File: {re.escape(str(config))}$"))


def test_print_capture(app_root: Path) -> None:
    with start_server(SCRIPTS_DIR / "printing.py", cwd=app_root) as server:
        assert requests.post(f"{server.url}/score", data=b"{}", timeout=10).status_code == 200
        server.wait_for_log("print-to-stderr")
        for text in ("print-at-import", "print-in-init|42", "print-in-run-a-b"):
            record = re.compile(rf" I \[\d+\] azmlinfsrv\.print - {re.escape(text)}$")
            server.wait_for_log(record)
            assert len(server.log_matches(text)) == 1, server.logs()
        assert server.log_matches("print-to-stderr") == ["print-to-stderr"]
