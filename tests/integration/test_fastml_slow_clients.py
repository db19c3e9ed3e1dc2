"""`fastml server` with slow or idle clients: before the head gate, 17 connections trickling their request heads
held every request thread and `/health` waited for as long as they lasted; before the body gate, so did
connections withholding their bodies. Real servers, polled deadlines."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from support import HOST
from support.slow_clients import PARTIAL_HEAD, closed_by_server, open_connections

from .fastml_launcher import copy_service, start_fastml

pytestmark = pytest.mark.slow

DEADLINE_S = 30.0
# An /infer request whose head is whole but whose body stops short of its Content-Length.
WITHHELD = (
    b"POST /infer HTTP/1.1\r\nHost: slow\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello"
)


def test_health_and_infer_answer_beside_slow_clients(tmp_path: Path) -> None:
    with (
        start_fastml(copy_service("echo", tmp_path)) as server,
        open_connections(server.port, 20, PARTIAL_HEAD),
        open_connections(server.port, 20),
    ):
        for _ in range(3):
            assert requests.get(f"http://{HOST}:{server.port}/health", timeout=DEADLINE_S).status_code == 200
            answer = requests.post(
                f"http://{HOST}:{server.port}/infer",
                data="hi",
                headers={"Content-Type": "text/plain"},
                timeout=DEADLINE_S,
            )
            assert answer.status_code == 200, answer.text


def test_a_head_not_complete_within_the_header_timeout_is_closed(tmp_path: Path) -> None:
    env = {"AZMLINFSRV_HEADER_TIMEOUT": "1"}
    with (
        start_fastml(copy_service("echo", tmp_path), env=env) as server,
        open_connections(server.port, 2, PARTIAL_HEAD) as slow,
    ):
        for conn in slow:
            assert closed_by_server(conn), server.logs()


def test_withheld_bodies_do_not_hold_the_request_threads(tmp_path: Path) -> None:
    with start_fastml(copy_service("echo", tmp_path)) as server:
        with open_connections(server.port, 40, WITHHELD) as held:
            assert requests.get(f"http://{HOST}:{server.port}/health", timeout=DEADLINE_S).status_code == 200
            for conn in held[:3]:
                conn.sendall(b"world")
            answers = [conn.recv(65536) for conn in held[:3]]
        assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers), answers


def test_a_body_never_completed_is_closed_at_the_header_timeout(tmp_path: Path) -> None:
    env = {"AZMLINFSRV_HEADER_TIMEOUT": "1"}
    with (
        start_fastml(copy_service("echo", tmp_path), env=env) as server,
        open_connections(server.port, 1, WITHHELD) as (held,),
    ):
        assert closed_by_server(held), server.logs()
        server.wait_for_log("its request body did not arrive within the header timeout (1 s)")


def test_a_client_waiting_for_100_continue_is_asked_for_its_body(tmp_path: Path) -> None:
    # Its body comes only after `100 Continue`: it must reach a request thread, not wait for a body in the gate.
    head = b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    with (
        start_fastml(copy_service("echo", tmp_path)) as server,
        open_connections(server.port, 1, head) as (conn,),
    ):
        assert conn.recv(65536).startswith(b"HTTP/1.1 100 Continue"), server.logs()
        conn.sendall(b"hello")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
