"""Slow or idle clients cannot starve the server: real servers, real sockets, polled deadlines.

Before the head gate, four idle connections stopped a one-worker azmlinfsrv from answering anything until the
worker timeout killed it; here a normal request is answered beside many of them, a parked connection is still
answered once its head completes, and one that never completes is closed after the header timeout.
(`fastml server`: tests/integration/test_fastml_slow_clients.py. Latency under slow clients: bench/slow_clients.py.)
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from support import SCRIPTS_DIR, RunningServer, start_server
from support.slow_clients import PARTIAL_HEAD, closed_by_server, open_connections

pytestmark = pytest.mark.slow

HELLO = {"message": "Hello, World!"}
DEADLINE_S = 30.0


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
