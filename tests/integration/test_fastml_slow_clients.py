"""`fastml server` with slow or idle clients: before the head gate, 17 connections trickling their request heads
held every request thread and `/health` waited for as long as they lasted. Real servers, polled deadlines."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from support import HOST
from support.slow_clients import PARTIAL_HEAD, closed_by_server, open_connections

from .fastml_launcher import copy_service, start_fastml

pytestmark = pytest.mark.slow

DEADLINE_S = 30.0


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
