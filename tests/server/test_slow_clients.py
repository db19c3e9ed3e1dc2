"""Slow or idle clients cannot starve the server: real servers, real sockets, polled deadlines.

Before the head gate, four idle connections stopped a one-worker azmlinfsrv from answering anything until the
worker timeout killed it; here a normal request is answered beside many of them, a parked connection is still
answered once its head completes, and one that never completes is closed after the header timeout.
(`fastml server`: tests/integration/test_fastml_slow_clients.py. Latency under slow clients: bench/slow_clients.py.)
"""

from __future__ import annotations

import os
import socket
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, poll_until, start_server
from support.slow_clients import PARTIAL_HEAD, closed_by_server, open_connections

pytestmark = pytest.mark.slow

HELLO = {"message": "Hello, World!"}
DEADLINE_S = 30.0
# A /score request whose head is whole but whose body stops two bytes short of its Content-Length.
BODY = b'{"seconds": 0 }'
WITHHELD = (
    b"POST /score HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (len(BODY), BODY[:-2])
)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_idle_and_slow_connections_do_not_stop_normal_requests(app_root: Path, workers: str) -> None:
    args = ["--worker_count", workers]
    with (
        start_server(SCRIPTS_DIR / "hello.py", args=args, cwd=app_root) as server,
        open_connections(server.port, 10),
        open_connections(server.port, 10, PARTIAL_HEAD),
    ):
        for _ in range(3):
            assert requests.post(f"{server.url}/score", json={}, timeout=DEADLINE_S).json() == HELLO
            assert requests.get(f"{server.url}/", timeout=DEADLINE_S).text == "Healthy"


def test_a_parked_connection_is_answered_once_its_head_completes(app_root: Path) -> None:
    with (
        start_server(SCRIPTS_DIR / "hello.py", cwd=app_root) as server,
        open_connections(server.port, 1, b"POST /score HTTP/1.1\r\nHost: x\r\n") as (slow,),
    ):
        # Served meanwhile, so the slow one is surely parked rather than being read by the serving thread.
        assert requests.get(f"{server.url}/", timeout=DEADLINE_S).status_code == 200
        slow.sendall(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        answer = _read_all(slow)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b'{"message": "Hello, World!"}')


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_head_not_complete_within_the_header_timeout_is_closed(app_root: Path) -> None:
    env = {"AZMLINFSRV_HEADER_TIMEOUT": "1"}
    with (
        start_server(SCRIPTS_DIR / "hello.py", env=env, cwd=app_root) as server,
        open_connections(server.port, 2, PARTIAL_HEAD) as slow,
        open_connections(server.port, 1) as idle,
    ):
        for conn in [*slow, *idle]:
            assert closed_by_server(conn), server.logs()
        assert requests.get(f"{server.url}/", timeout=DEADLINE_S).status_code == 200


def test_an_invalid_header_timeout_stops_the_server_with_a_clear_line(app_root: Path) -> None:
    server: RunningServer
    with start_server(
        SCRIPTS_DIR / "hello.py", env={"AZMLINFSRV_HEADER_TIMEOUT": "soon"}, cwd=app_root, ready=False
    ) as server:
        assert server.wait_exit(DEADLINE_S) == 3
        assert "AZMLINFSRV_HEADER_TIMEOUT: 'soon' is not a number of seconds above 0" in server.logs()


def _busy(pool: ThreadPoolExecutor, server: RunningServer, markers: Path, seconds: float) -> Future:
    """A run() that keeps the main thread busy, so that new connections go to the extra threads; returns once
    it has started."""
    busy = pool.submit(requests.post, f"{server.url}/score", json={"seconds": seconds}, timeout=DEADLINE_S)
    assert poll_until(lambda: any(name.startswith("run-") for name in os.listdir(markers)), DEADLINE_S)
    return busy


def test_withheld_bodies_do_not_hold_the_extra_threads(app_root: Path, tmp_path: Path) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path)}
    with (
        start_server(SCRIPTS_DIR / "sleep.py", env=env, cwd=app_root) as server,
        ThreadPoolExecutor(1) as pool,
    ):
        busy = _busy(pool, server, tmp_path, 8)
        # More withheld bodies than there are extra threads: before, each held one until its body came.
        with open_connections(server.port, 4, WITHHELD) as held:
            # Order, not speed: the probe is answered while run() is still sleeping.
            assert requests.get(f"{server.url}/", timeout=DEADLINE_S).text == "Healthy"
            assert not busy.done()
            for conn in held:
                conn.sendall(BODY[-2:])
            answers = [_read_all(conn) for conn in held]
        assert busy.result().status_code == 200
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers), answers
    assert all(answer.endswith(b'{"slept": 0.0}') for answer in answers), answers


def test_a_body_never_completed_is_closed_at_the_worker_timeout(app_root: Path, tmp_path: Path) -> None:
    # Upstream's only thread would read it until the arbiter kills the worker at the worker timeout; an extra
    # thread never reads it, and the connection is closed at that timeout, the worker serving on.
    env = {"TEST_MARKER_DIR": str(tmp_path), "WORKER_TIMEOUT": "4"}
    with (
        start_server(SCRIPTS_DIR / "sleep.py", env=env, cwd=app_root) as server,
        ThreadPoolExecutor(1) as pool,
    ):
        busy = _busy(pool, server, tmp_path, 3)
        with open_connections(server.port, 1, WITHHELD) as (held,):
            assert closed_by_server(held), server.logs()
        assert busy.result().status_code == 200
        server.wait_for_log(
            "without an answer: its request body did not arrive within the worker timeout (4 s)"
        )
        assert (
            requests.post(f"{server.url}/score", json={"seconds": 0}, timeout=DEADLINE_S).status_code == 200
        )
        assert server.logs().count("Booting worker") == 1, server.logs()


def test_a_body_withheld_from_the_main_thread_gets_the_worker_restarted(app_root: Path) -> None:
    # As upstream's sync worker: the thread that reads it is held, no heartbeat is sent meanwhile, and the arbiter
    # kills and restarts the worker at the worker timeout (before, the extra threads kept beating for it). The
    # abort reaches the body read, and gunicorn answers its 500 as for a run() stuck past the worker timeout.
    with start_server(SCRIPTS_DIR / "hello.py", env={"WORKER_TIMEOUT": "2"}, cwd=app_root) as server:
        with open_connections(server.port, 1, WITHHELD) as (held,):
            assert _read_all(held).startswith(b"HTTP/1.1 500 "), server.logs()
        server.wait_for_log("WORKER TIMEOUT", timeout=DEADLINE_S)
        server.wait_for_log("Booting worker", count=2, timeout=DEADLINE_S)
        assert requests.post(f"{server.url}/score", json={}, timeout=DEADLINE_S).json() == HELLO
