"""Unit tests for the head gate (runners/head_gate.py): when a socket counts as ready, and the gate thread's hand-back,
expiry and drop. Over HTTP, with real servers, in test_slow_clients.py."""

from __future__ import annotations

import socket
import threading
from typing import List, Tuple

import pytest
from azmlinfsrv.runners.head_gate import GONE, PEEK_LIMIT, READY, WAITING, HeadGate, head_state
from support import poll_until

pytestmark = pytest.mark.skipif(not HeadGate.available(), reason="the head gate needs epoll (Linux)")
DEADLINE_S = 10.0


def _state_after(pair: Tuple[socket.socket, socket.socket], data: bytes) -> str:
    client, server = pair
    client.sendall(data)
    # The bytes cross the loopback at once, but not necessarily before the next line: poll for a decision.
    poll_until(lambda: head_state(server) != WAITING, 2.0)
    return head_state(server)


def test_nothing_sent_is_waiting(pair: Tuple[socket.socket, socket.socket]) -> None:
    assert head_state(pair[1]) == WAITING


def test_partial_head_is_waiting(pair: Tuple[socket.socket, socket.socket]) -> None:
    assert _state_after(pair, b"GET / HTTP/1.1\r\nHost: x\r\n") == WAITING


@pytest.mark.parametrize("head", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/1.1\nHost: x\n\n"])
def test_complete_head_is_ready_and_nothing_is_consumed(
    pair: Tuple[socket.socket, socket.socket], head: bytes
) -> None:
    request = head + b"body"
    assert _state_after(pair, request) == READY
    pair[1].settimeout(DEADLINE_S)
    assert pair[1].recv(len(request), socket.MSG_WAITALL) == request


def test_a_head_too_long_to_peek_is_handed_over(pair: Tuple[socket.socket, socket.socket]) -> None:
    # gunicorn's own limits answer it (431/400), as before the gate.
    client, server = pair
    sender = threading.Thread(target=client.sendall, args=(b"GET / HTTP/1.1\r\nX: " + b"a" * PEEK_LIMIT,))
    sender.start()
    assert poll_until(lambda: head_state(server) == READY, DEADLINE_S)
    sender.join(DEADLINE_S)


def test_closed_peer_is_gone(pair: Tuple[socket.socket, socket.socket]) -> None:
    pair[0].close()
    assert poll_until(lambda: head_state(pair[1]) == GONE, DEADLINE_S)


class Outcomes:
    def __init__(self) -> None:
        self.ready: List[str] = []
        self.dropped: List[str] = []


def test_gate_hands_back_a_socket_once_its_head_is_complete(
    pair: Tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    seen = Outcomes()
    gate: HeadGate[str] = HeadGate(60.0, seen.ready.append, seen.dropped.append)
    client.sendall(b"GET / HTTP/1.1\r\n")
    gate.park(server, "conn")
    assert gate.pending() == 1
    client.sendall(b"Host: x\r\n")
    client.sendall(b"\r\n")
    assert poll_until(lambda: seen.ready == ["conn"], DEADLINE_S)
    assert seen.dropped == []
    assert gate.pending() == 0


def test_gate_drops_a_socket_past_the_header_timeout(pair: Tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    seen = Outcomes()
    gate: HeadGate[str] = HeadGate(0.2, seen.ready.append, seen.dropped.append)
    client.sendall(b"GET / HT")
    gate.park(server, "slow")
    assert poll_until(lambda: seen.dropped == ["slow"], DEADLINE_S)
    assert seen.ready == []


def test_gate_drops_a_socket_whose_client_left(pair: Tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    seen = Outcomes()
    gate: HeadGate[str] = HeadGate(60.0, seen.ready.append, seen.dropped.append)
    gate.park(server, "gone")
    client.close()
    assert poll_until(lambda: seen.dropped == ["gone"], DEADLINE_S)


def test_cap_deadlines_shortens_the_wait_at_shutdown(pair: Tuple[socket.socket, socket.socket]) -> None:
    seen = Outcomes()
    gate: HeadGate[str] = HeadGate(600.0, seen.ready.append, seen.dropped.append)
    gate.park(pair[1], "idle")
    gate.cap_deadlines(0.1)
    assert poll_until(lambda: seen.dropped == ["idle"], DEADLINE_S)
