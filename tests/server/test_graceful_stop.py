"""Shutdown loses nothing: requests in flight or waiting in the listen backlog when SIGTERM or the first Ctrl-C
arrives are all answered before the server exits 0; a second Ctrl-C stops at once. Real servers, polled deadlines.

Before: SIGTERM with 8 requests in flight answered 4 of 8 (gunicorn with one worker, and waitress), and Ctrl-C
aborted the running `run()` with a 500.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
from pathlib import Path

import pytest
from support import HOST, SCRIPTS_DIR, RunningServer, poll_until, start_server

pytestmark = pytest.mark.slow

IN_FLIGHT = 8
DEADLINE_S = 60.0
CONFIGURATIONS = {
    "gunicorn-1-worker": ["--server", "gunicorn"],
    "gunicorn-2-workers": ["--server", "gunicorn", "--worker_count", "2"],
    "waitress": ["--server", "waitress"],
}


def send_score(port: int, seconds: float) -> http.client.HTTPConnection:
    """Sends a whole `POST /score` to sleep.py; once this returns, the request is in the server's hands."""
    conn = http.client.HTTPConnection(HOST, port, timeout=DEADLINE_S)
    body = json.dumps({"seconds": seconds})
    conn.request("POST", "/score", body=body, headers={"Content-Type": "application/json"})
    return conn


def outcome(conn: http.client.HTTPConnection) -> object:
    """The status and body, or the name of what went wrong (a reset, an empty reply)."""
    try:
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def wait_for_run(markers: Path) -> None:
    assert poll_until(lambda: any(n.startswith("run-") for n in os.listdir(markers)), DEADLINE_S)


def stop_signal(server: RunningServer, name: str) -> None:
    if name == "SIGINT":
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
    else:
        os.kill(server.pid, signal.SIGTERM)  # an orchestrator signals the main process


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_every_request_in_flight_is_answered(
    app_root: Path, tmp_path: Path, configuration: str, signal_name: str
) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path)}
    args = CONFIGURATIONS[configuration]
    with start_server(SCRIPTS_DIR / "sleep.py", args=args, env=env, cwd=app_root) as server:
        conns = [send_score(server.port, 0.3) for _ in range(IN_FLIGHT)]
        wait_for_run(tmp_path)
        stop_signal(server, signal_name)
        outcomes = [outcome(conn) for conn in conns]
        assert outcomes == [(200, {"slept": 0.3})] * IN_FLIGHT, server.logs()
        assert server.wait_exit(DEADLINE_S) == 0


@pytest.mark.parametrize("configuration", ["gunicorn-1-worker", "waitress"])
def test_a_second_ctrl_c_stops_at_once(app_root: Path, tmp_path: Path, configuration: str) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path)}
    args = CONFIGURATIONS[configuration]
    with start_server(SCRIPTS_DIR / "sleep.py", args=args, env=env, cwd=app_root) as server:
        conn = send_score(server.port, 600)
        wait_for_run(tmp_path)
        stop_signal(server, "SIGINT")
        # The first one is graceful: the server keeps running while run() sleeps.
        assert not poll_until(lambda: server.proc.poll() is not None, 1.0)
        stop_signal(server, "SIGINT")
        # Far below the 600 s run() and the 30 s graceful timeout.
        server.wait_exit(20)
        assert outcome(conn) != (200, {"slept": 600})
