"""Smoke subset of the checks against both HTTP runners (`--server gunicorn` and `--server waitress`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, poll_until, start_server

# Starts many servers: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

RAISED = b'{"message": "An unexpected error occurred in scoring script. Check the logs for more info."}'
TIMEOUT = b'{"message": "Scoring timeout after 1000 ms"}'


@dataclass
class RunnerServers:
    hello: RunningServer
    raising: RunningServer
    timeout: RunningServer
    sleep: RunningServer
    markers: Path


def _start_all(
    stack: ExitStack, specs: list[tuple[str, dict[str, str]]], args: tuple[str, ...], cwd: Path
) -> list[RunningServer]:
    """Start several servers at once (their boots overlap), then wait until each is ready."""
    servers = [
        stack.enter_context(start_server(SCRIPTS_DIR / script, args=args, env=env, cwd=cwd, ready=False))
        for script, env in specs
    ]
    for server in servers:
        server.wait_ready(30)
    return servers


@pytest.fixture(scope="module", params=["gunicorn", "waitress"])
def runner(
    request: pytest.FixtureRequest, app_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunnerServers]:
    markers = tmp_path_factory.mktemp(f"markers_{request.param}")
    specs = [
        ("hello.py", {}),
        ("raise_error.py", {}),
        ("sleep.py", {"SCORING_TIMEOUT_MS": "1000"}),
        ("sleep.py", {"TEST_MARKER_DIR": str(markers)}),
    ]
    with ExitStack() as stack:
        hello, raising, timeout, sleep = _start_all(stack, specs, ("--server", request.param), app_root)
        yield RunnerServers(hello, raising, timeout, sleep, markers)


def _run_markers(directory: Path) -> int:
    return len(list(directory.glob("run-*")))


def test_c09_runner_hello_score(runner: RunnerServers) -> None:
    response = requests.post(f"{runner.hello.url}/score", json={"a": 1}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b'{"message": "Hello, World!"}'


def test_c21_runner_raise_returns_500(runner: RunnerServers) -> None:
    response = requests.post(f"{runner.raising.url}/score", data=b"{}", timeout=10)
    assert response.status_code == 500
    assert response.content == RAISED
    assert response.headers["x-ms-run-function-failed"] == "True"
    assert requests.get(f"{runner.raising.url}/", timeout=10).status_code == 200


def test_c29_runner_scoring_timeout(runner: RunnerServers) -> None:
    started = time.monotonic()
    response = requests.post(f"{runner.timeout.url}/score", data=json.dumps({"seconds": 60}), timeout=90)
    elapsed = time.monotonic() - started
    assert response.status_code == 500
    assert response.content == TIMEOUT
    assert response.headers["x-ms-run-function-failed"] == "True"
    # Not before the 1 s limit, and long before the 60 s sleep would have ended.
    assert 0.9 <= elapsed < 30, elapsed


def test_c59_runner_health_during_long_run(runner: RunnerServers) -> None:
    before = _run_markers(runner.markers)
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(requests.post, f"{runner.sleep.url}/score", data=b'{"seconds": 8}', timeout=60)
        assert poll_until(lambda: _run_markers(runner.markers) > before, 20)
        # Order, not speed: the probe is answered while run() is still sleeping.
        assert requests.get(f"{runner.sleep.url}/", timeout=10).status_code == 200
        assert not future.done()
        assert future.result(timeout=30).status_code == 200


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_c54_runner_request_during_slow_init(app_root: Path, server: str) -> None:
    args = ("--server", server)
    with start_server(SCRIPTS_DIR / "slow_init.py", args=args, cwd=app_root, ready=False) as slow:
        slow.wait_for_log("Invoking user's init function", timeout=30)
        response = requests.post(f"{slow.url}/score", data=b"{}", timeout=30)
        assert response.status_code == 200
        assert response.json() == {"message": "ready"}
