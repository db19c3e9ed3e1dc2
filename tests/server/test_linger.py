"""The lingering close (runners/linger.py): after an answer, the client sees the server's end at once, whatever it
still sends is read and discarded until it closes (so the kernel never resets the connection under an unread
response), and the serving thread never waits for any of it. Unit tests on loopback sockets, then over HTTP."""

from __future__ import annotations

import socket
import time
import types
from pathlib import Path

import pytest
from azmlinfsrv.runners.linger import LingeringClose, install
from support import poll_until
from support.server import HOST, start_server
from support.slow_clients import Pair

pytestmark = pytest.mark.skipif(
    not LingeringClose.available(), reason="the lingering close needs epoll (Linux)"
)
DEADLINE_S = 10.0
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _closed(sock: socket.socket) -> bool:
    return sock.fileno() == -1


def _reaped(closer: LingeringClose, sock: socket.socket) -> bool:
    """What the serving loop does between connections, until `sock` is closed."""
    closer.reap()
    return _closed(sock)


def test_a_client_that_has_left_is_closed_at_once(pair: Pair) -> None:
    client, server = pair
    closer = LingeringClose()
    client.close()
    # The client's FIN crosses the loopback at once, but not necessarily before the next line.
    poll_until(lambda: server.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"", 2.0)
    closer(server)
    assert _closed(server)
    assert closer.pending() == 0


def test_the_call_returns_while_the_client_is_still_there_and_the_client_sees_the_end(pair: Pair) -> None:
    client, server = pair
    server.sendall(b"answer")
    closer = LingeringClose()
    closer(server)
    assert closer.pending() == 1
    assert not _closed(server)
    assert client.recv(100, socket.MSG_WAITALL) == b"answer"  # then the FIN: the read ends without waiting
    client.close()
    assert poll_until(lambda: _reaped(closer, server), DEADLINE_S)
    assert closer.pending() == 0


def test_unread_bytes_keep_the_socket_open_until_the_client_closes(pair: Pair) -> None:
    # Closing with unread bytes would make the kernel reset the connection, which on a real network can destroy
    # the answer before the client has read it (RFC 9112 §9.6); on loopback the answer arrives first anyway.
    client, server = pair
    client.sendall(b"unread request bytes")  # e.g. a body the app never read
    server.sendall(b"answer")
    closer = LingeringClose()
    closer(server)
    assert closer.pending() == 1
    assert not _closed(server)
    client.sendall(b"x" * 20000)  # a pipelined request, say, after the answer
    assert client.recv(100, socket.MSG_WAITALL) == b"answer"
    client.close()
    assert poll_until(lambda: _reaped(closer, server), DEADLINE_S)


def test_a_client_that_never_closes_is_closed_at_the_deadline(pair: Pair) -> None:
    client, server = pair
    closer = LingeringClose(linger_s=0.2)
    closer(server)
    assert poll_until(lambda: _reaped(closer, server), DEADLINE_S)
    assert client.recv(10) == b""


def test_a_client_that_sends_past_the_cap_is_closed(pair: Pair) -> None:
    client, server = pair
    closer = LingeringClose()
    closer(server, max_drain=1000)
    client.sendall(b"x" * 5000)
    assert poll_until(lambda: _reaped(closer, server), DEADLINE_S)


def test_a_second_call_for_a_lingering_socket_changes_nothing(pair: Pair) -> None:
    # gunicorn calls it twice when a response fails after its head was sent.
    client, server = pair
    closer = LingeringClose()
    closer(server)
    closer(server)
    assert closer.pending() == 1
    client.close()
    assert poll_until(lambda: _reaped(closer, server), DEADLINE_S)
    assert closer.pending() == 0


def test_finish_ends_what_still_lingers_by_the_deadline(pair: Pair) -> None:
    _, server = pair
    closer = LingeringClose(linger_s=600.0)
    closer(server)
    closer.finish(deadline=0.0)  # already past: no wait
    assert _closed(server)
    assert closer.pending() == 0


def test_finish_waits_for_clients_that_close_in_time(pair: Pair) -> None:
    client, server = pair
    closer = LingeringClose(linger_s=600.0)
    closer(server)
    client.close()
    closer.finish(deadline=time.monotonic() + DEADLINE_S)
    assert _closed(server)
    assert closer.pending() == 0


def test_install_replaces_close_graceful_only_where_gunicorn_has_one() -> None:
    def close_graceful(sock: socket.socket, timeout: float = 2.0, max_drain: int = 65536) -> None:
        sock.close()

    modern = types.SimpleNamespace(close_graceful=close_graceful)
    closer = install(modern)
    assert isinstance(closer, LingeringClose)
    assert modern.close_graceful is closer
    older = types.SimpleNamespace(close=close_graceful)  # gunicorn < 25 closes at once
    assert install(older) is None
    assert not hasattr(older, "close_graceful")


def test_over_http_bytes_after_the_body_do_not_cost_the_answer() -> None:
    request = (
        b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
        b'{"data": [1]}' + b"trailing bytes no server reads " * 300
    )
    with start_server(SCRIPTS / "echo.py") as server:
        for _ in range(3):
            with socket.create_connection((HOST, server.port), timeout=DEADLINE_S) as conn:
                conn.sendall(request)
                received = b""
                while chunk := conn.recv(65536):
                    received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), received
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            assert len(body) == length
        assert server.raw("GET", "/").status == 200
