"""Unit tests for runners/whole_request.py: when a helper thread may read a request, when its body is parked, and
when the main thread reads it. Over HTTP, with real servers, in test_slow_clients.py."""

from __future__ import annotations

import socket
import threading
from typing import List, Tuple

import pytest
from azmlinfsrv.runners.head_gate import GONE, PEEK_LIMIT, READY, WAITING, HeadGate
from azmlinfsrv.runners.whole_request import UNKNOWN, body_state
from support import poll_until
from support.slow_clients import Pair

DEADLINE_S = 10.0
HEAD = b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def _state_after(pair: Pair, data: bytes, settled: Tuple[str, ...] = (READY, UNKNOWN, GONE)) -> str:
    client, server = pair
    client.sendall(data)
    # The bytes cross the loopback at once, but not necessarily before the next line: poll for a decision.
    poll_until(lambda: body_state(server) in settled, 2.0)
    return body_state(server)


def test_a_whole_request_is_ready_and_nothing_is_consumed(pair: Pair) -> None:
    request = HEAD + b"Content-Length: 2\r\n\r\n{}"
    assert _state_after(pair, request) == READY
    pair[1].settimeout(DEADLINE_S)
    assert pair[1].recv(len(request), socket.MSG_WAITALL) == request


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # no body
        b"GET / HTTP/1.1\nHost: x\n\n",  # bare LF: the parser decides about it
        HEAD + b"content-length:  3 \r\n\r\nabc",  # any case, any spaces
        HEAD + b"Content-Length: three\r\n\r\n",  # refused by gunicorn before any body is read
        HEAD + b"Content-Length: -4\r\n\r\n",
        HEAD + b"Content-Length: 1\r\nContent-Length: 900\r\n\r\nx",  # two lengths: likewise
        HEAD + b"Content-Length: 3000\r\nExpect: 100-Continue\r\n\r\n",  # its body comes once asked for
    ],
)
def test_requests_without_a_body_to_wait_for_are_ready(pair: Pair, request_bytes: bytes) -> None:
    assert _state_after(pair, request_bytes) == READY


def test_a_body_on_its_way_is_waiting_until_it_is_all_here(pair: Pair) -> None:
    assert _state_after(pair, HEAD + b"Content-Length: 10\r\n\r\n12345", settled=(WAITING,)) == WAITING
    assert _state_after(pair, b"67890") == READY


@pytest.mark.parametrize(
    "head",
    [
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n",
        HEAD + b"Content-Length: %d\r\n\r\n" % PEEK_LIMIT,  # could never be seen whole in one peek
    ],
)
def test_a_body_that_cannot_be_checked_goes_to_the_main_thread(pair: Pair, head: bytes) -> None:
    assert _state_after(pair, head) == UNKNOWN


def test_a_head_longer_than_a_peek_goes_to_the_main_thread(pair: Pair) -> None:
    client, server = pair
    sender = threading.Thread(target=client.sendall, args=(HEAD + b"X: " + b"a" * PEEK_LIMIT,))
    sender.start()
    sender.join(DEADLINE_S)
    assert body_state(server) == UNKNOWN


def test_nothing_sent_is_waiting_and_a_closed_peer_is_gone(pair: Pair) -> None:
    assert body_state(pair[1]) == WAITING
    pair[0].close()
    assert poll_until(lambda: body_state(pair[1]) == GONE, DEADLINE_S)


@pytest.mark.skipif(not HeadGate.available(), reason="the gate needs epoll (Linux)")
def test_the_gate_hands_a_body_back_once_it_is_whole_and_drops_one_that_is_late(pair: Pair) -> None:
    ready: List[str] = []
    dropped: List[str] = []
    gate: HeadGate[str] = HeadGate(60.0, ready.append, dropped.append, body_state)
    client, server = pair
    client.sendall(HEAD + b"Content-Length: 4\r\n\r\nab")
    gate.park(server, "slow body")
    client.sendall(b"cd")
    assert poll_until(lambda: ready == ["slow body"], DEADLINE_S)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        late = socket.create_connection(listener.getsockname(), timeout=DEADLINE_S)
        accepted, _ = listener.accept()
        with late, accepted:
            late.sendall(HEAD + b"Content-Length: 4\r\n\r\nab")
            short: HeadGate[str] = HeadGate(0.2, ready.append, dropped.append, body_state)
            short.park(accepted, "never whole")
            assert poll_until(lambda: dropped == ["never whole"], DEADLINE_S)
    assert ready == ["slow body"]
