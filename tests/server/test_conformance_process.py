"""Conformance checks 51-54, 56, 58 and 59: boot failures, CLI exit codes, slow init, ports and workers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from support import (
    HOST,
    SCRIPTS_DIR,
    RunningServer,
    free_port,
    health_status,
    poll_until,
    run_to_exit,
    server_args,
    start_server,
)

# Starts many servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

HELLO = {"message": "Hello, World!"}
NO_SCRIPT = (
    "Either provide an entry_script using --entry_script or provide a path to the configuration file "
    "using --config_file"
)
BAD_PORT = "Specified port '0' is invalid. Please specify a port within range the [1, 65535] range."
BAD_WORKERS = "Specified worker count '0' is invalid. Please specify a worker count greater than zero."
LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z] \[\d+\] \S+ - ")


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def _markers(directory: Path, prefix: str) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith(prefix))


def _wait_for_marker(directory: Path, prefix: str, count: int = 1, timeout: float = 30.0) -> list[str]:
    assert poll_until(lambda: len(_markers(directory, prefix)) >= count, timeout), _markers(directory, prefix)
    return _markers(directory, prefix)


def _statuses_until_exit(server: RunningServer, timeout: float) -> list[int | None]:
    """Poll `GET /` until the server process exits; return every status seen (None: no answer)."""
    statuses: list[int | None] = []
    deadline = time.monotonic() + timeout
    while server.proc.poll() is None and time.monotonic() < deadline:
        statuses.append(health_status(server.port))
        time.sleep(0.05)
    return statuses


def _sleep_request(server: RunningServer, seconds: float) -> requests.Response:
    return requests.post(f"{server.url}/score", data=json.dumps({"seconds": seconds}), timeout=60)


def test_c51_init_failure_exits_3_without_serving(app_root: Path, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "weights.bin").write_bytes(b"0")
    args = ["--model_dir", str(tmp_path)]
    with start_server(SCRIPTS_DIR / "init_fails.py", args=args, cwd=app_root, ready=False) as server:
        statuses = _statuses_until_exit(server, 60)
        assert server.wait_exit(10) == 3
        assert 200 not in statuses
        logs = server.logs()
    assert "User's init function failed" in logs
    assert "Encountered Exception" in logs
    assert "RuntimeError: init_fails.py failed on purpose" in logs
    _assert_model_tree(logs)


def _assert_model_tree(logs: str) -> None:
    """The tree of AZUREML_MODEL_DIR: 4 spaces per level, directories end with the separator."""
    assert "Model Directory Contents:" in logs
    lines = [LOG_PREFIX.sub("", line) for line in logs.splitlines()]
    [directory] = [line for line in lines if line.rstrip().endswith("sub/")]
    [file] = [line for line in lines if line.rstrip().endswith("weights.bin")]
    indent = len(directory) - len(directory.lstrip(" "))
    assert file == " " * (indent + 4) + "weights.bin"


BAD_SCRIPTS = [
    ("syntax_error.py", "Failed to import user script because it raised an unhandled exception"),
    ("does_not_exist.py", "No such file or directory."),
    ("no_init.py", f"User script at {SCRIPTS_DIR / 'no_init.py'} does not have a init() function defined."),
    ("varargs_run.py", "run() cannot accept positional-only arguments, *args, or **kwargs."),
    ("no_run.py", f"User script at {SCRIPTS_DIR / 'no_run.py'} does not have a run() function defined."),
    ("run_no_args.py", "run() needs to accept an argument for input data."),
    ("run_only_headers.py", 'run() needs to accept an argument other than "request_headers".'),
    ("raw_and_schema.py", "run() cannot be decorated with both @rawhttp and @input_schema"),
]


@pytest.mark.parametrize(("script", "message"), BAD_SCRIPTS)
def test_c52_bad_script_exits_3(app_root: Path, script: str, message: str) -> None:
    code, output = run_to_exit(server_args(SCRIPTS_DIR / script, free_port()), cwd=app_root, timeout=60)
    assert code == 3, output
    assert message in output


@pytest.mark.parametrize("kind", ["missing", "directory", "env-missing"])
def test_wrong_entry_script_is_one_error_line_exit_3_and_nothing_created(
    app_root: Path, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / ("a_folder" if kind == "directory" else "nope.py")
    if kind == "directory":
        target.mkdir()
    log_dir = tmp_path / "logs"
    env: dict[str, str | None] = {}
    if kind == "env-missing":
        args = ["--port", str(free_port()), "--host", HOST, "--log-dir", str(log_dir)]
        env = {"AZUREML_ENTRY_SCRIPT": str(target)}
    else:
        args = [*server_args(target, free_port()), "--log-dir", str(log_dir)]
    code, output = run_to_exit(args, env=env, cwd=app_root, timeout=60)
    assert code == 3, output
    # Upstream's start-up lines come first (log checks look for them), then one error line says it all.
    assert "Starting up app insights client" in output
    errors = [line for line in output.splitlines() if " E [" in line and "azmlinfsrv -" in line]
    assert len(errors) == 1, output
    assert "No such file or directory. The entry script" in errors[0]
    assert str(target) in errors[0]
    assert ("is a directory" if kind == "directory" else "does not exist") in errors[0]
    assert "--entry_script" in errors[0]
    assert not log_dir.exists()
    assert "Traceback" not in output


def test_config_error_exits_3(app_root: Path) -> None:
    args = server_args(SCRIPTS_DIR / "hello.py", free_port())
    code, output = run_to_exit(args, env={"SCORING_TIMEOUT_MS": "abc"}, cwd=app_root, timeout=60)
    assert code == 3, output
    assert "===============Configuration Error=================" in output
    assert (
        "SCORING_TIMEOUT_MS: Input should be a valid integer, unable to parse string as an integer "
        "(environment variable: SCORING_TIMEOUT_MS)"
    ) in output


def test_c53_no_script_nor_config_exits_1(app_root: Path) -> None:
    code, output = run_to_exit(["--port", str(free_port()), "--host", HOST], cwd=app_root)
    assert code == 1, output
    assert "Error!" in output
    assert NO_SCRIPT in output


INVALID_VALUES = [
    (["--port", "0"], BAD_PORT),
    (["--port", "65536"], BAD_PORT.replace("'0'", "'65536'")),
    (["--port", "abc"], "azmlinfsrv: error:"),
    (["--worker_count", "0"], BAD_WORKERS),
    (["--worker_count", "-1"], BAD_WORKERS.replace("'0'", "'-1'")),
]


@pytest.mark.parametrize(("option", "message"), INVALID_VALUES)
def test_c53_invalid_values_exit_1(app_root: Path, option: list[str], message: str) -> None:
    args = ["--entry_script", str(SCRIPTS_DIR / "hello.py"), "--host", HOST, *option]
    if option[0] != "--port":
        args += ["--port", str(free_port())]
    code, output = run_to_exit(args, cwd=app_root)
    assert code == 1, output
    assert message in output


def test_c53_unknown_option_exits_1(app_root: Path) -> None:
    code, output = run_to_exit(["--entry_script", str(SCRIPTS_DIR / "hello.py"), "--bogus"], cwd=app_root)
    assert code == 1, output
    assert "azmlinfsrv: error:" in output
    assert "usage:" in output


def test_c53_help_exits_0(app_root: Path) -> None:
    code, output = run_to_exit(["--help"], cwd=app_root)
    assert code == 0, output
    for flag in ("--entry_script", "--model_dir", "--port", "--worker_count", "--config_file"):
        assert flag in output


def test_c53_missing_config_file_exits_1(app_root: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    args = ["--entry_script", str(SCRIPTS_DIR / "hello.py"), "--config_file", str(missing)]
    code, output = run_to_exit([*args, "--port", str(free_port()), "--host", HOST], cwd=app_root)
    assert code == 1, output
    assert f"Config file not found: {missing}" in output


def test_c54_request_during_slow_init_waits(app_root: Path) -> None:
    with start_server(SCRIPTS_DIR / "slow_init.py", cwd=app_root, ready=False) as server:
        server.wait_for_log("Invoking user's init function", timeout=30)
        started = time.monotonic()
        response = requests.post(f"{server.url}/score", data=b"{}", timeout=30)
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert response.json() == {"message": "ready"}
        assert elapsed > 1.0, elapsed
        assert "Users's init has completed successfully" in server.logs()
        # Additive: init()'s own duration, which the gate's start-up budget reads (init() sleeps 4 s).
        finished = re.search(r"init\(\) finished in (\d+\.\d{3}) s", server.logs())
        assert finished is not None, server.logs()
        assert float(finished.group(1)) >= 4.0


@pytest.mark.parametrize("variable", ["SEPERATE_HEALTH_ENDPOINT", "SEPARATE_HEALTH_ENDPOINT"])
def test_c56_separate_health_port(app_root: Path, variable: str) -> None:
    health_port = free_port()
    args = ["--health_port", str(health_port)]
    with start_server(SCRIPTS_DIR / "hello.py", args=args, env={variable: "true"}, cwd=app_root) as server:
        assert poll_until(lambda: health_status(health_port) == 200, 15), server.logs()
        for port in (server.port, health_port):
            base = f"http://{HOST}:{port}"
            assert requests.get(f"{base}/", timeout=10).content == b"Healthy"
            assert requests.post(f"{base}/score", data=b"{}", timeout=10).json() == HELLO


def test_c56_health_port_inert_without_flag(app_root: Path) -> None:
    health_port = free_port()
    args = ["--health_port", str(health_port)]
    with start_server(SCRIPTS_DIR / "hello.py", args=args, cwd=app_root) as server:
        assert requests.get(f"{server.url}/", timeout=10).status_code == 200
        assert health_status(health_port) is None


def test_c58_sigterm_finishes_in_flight_request(
    app_root: Path, tmp_path: Path, pool: ThreadPoolExecutor
) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path)}
    with start_server(SCRIPTS_DIR / "sleep.py", env=env, cwd=app_root) as server:
        future: Future[requests.Response] = pool.submit(_sleep_request, server, 3)
        _wait_for_marker(tmp_path, "run-")
        os.kill(server.pid, signal.SIGTERM)
        response = future.result(timeout=60)
        assert response.status_code == 200
        assert response.json() == {"slept": 3.0}
        assert server.wait_exit(45) == 0


def test_c58_sigint_exits_0(app_root: Path) -> None:
    with start_server(SCRIPTS_DIR / "hello.py", cwd=app_root) as server:
        os.kill(server.pid, signal.SIGINT)
        assert server.wait_exit(45) == 0


def test_port_in_use_exits_non_zero(app_root: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        code, output = run_to_exit(server_args(SCRIPTS_DIR / "hello.py", port), cwd=app_root, timeout=60)
    assert code != 0, output
    assert 3.0 <= time.monotonic() - started < 30.0


def test_c59_two_workers(app_root: Path, tmp_path: Path, pool: ThreadPoolExecutor) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path)}
    args = ["--worker_count", "2"]
    with start_server(SCRIPTS_DIR / "sleep.py", args=args, env=env, cwd=app_root) as server:
        assert len(_wait_for_marker(tmp_path, "init-", count=2)) == 2
        future: Future[requests.Response] = pool.submit(_sleep_request, server, 8)
        _wait_for_marker(tmp_path, "run-")
        # Order, not speed: the probe is answered while run() is still sleeping.
        assert requests.get(f"{server.url}/", timeout=10).status_code == 200
        assert not future.done()
        assert future.result(timeout=60).status_code == 200
        server.wait_for_log("ready for serving traffic", count=2)


def test_worker_preload_runs_init_once(app_root: Path, tmp_path: Path, pool: ThreadPoolExecutor) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path), "WORKER_PRELOAD": "true"}
    args = ["--worker_count", "2"]
    with start_server(SCRIPTS_DIR / "sleep.py", args=args, env=env, cwd=app_root) as server:
        futures = [pool.submit(_sleep_request, server, 0.5) for _ in range(2)]
        assert [future.result(timeout=30).status_code for future in futures] == [200, 200]
        assert _markers(tmp_path, "init-") == [f"init-{server.pid}"]


def test_worker_timeout_kills_busy_worker(app_root: Path, tmp_path: Path) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path), "WORKER_TIMEOUT": "2"}
    with start_server(SCRIPTS_DIR / "sleep.py", env=env, cwd=app_root) as server:
        started = time.monotonic()
        response = _sleep_request(server, 120)
        elapsed = time.monotonic() - started
        assert response.status_code == 500
        assert elapsed < 60, elapsed  # killed at the 2 s worker timeout, long before run() would return
        assert len(_wait_for_marker(tmp_path, "init-", count=2)) == 2
        assert requests.post(f"{server.url}/score", data=b'{"seconds": 0}', timeout=10).status_code == 200


def test_cli_model_dir_kept_relative(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.txt").write_text("weights v1")
    args = ["--model_dir", "model"]
    with start_server(SCRIPTS_DIR / "model_dir.py", args=args, cwd=tmp_path) as server:
        response = requests.post(f"{server.url}/score", data=b"{}", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"model": "weights v1", "model_dir": "model"}
