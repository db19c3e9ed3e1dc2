"""Slow and idle clients for the tests that check they cannot starve a server (azmlinfsrv and `fastml server`)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Tuple

from .server import HOST

# The start of a request head whose end never comes.
PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: slow\r\nX-Trickle: a"
SOCKET_TIMEOUT_S = 30.0


@contextlib.contextmanager
def open_connections(port: int, count: int, first_bytes: bytes = b"") -> Iterator[list[socket.socket]]:
    """`count` connections to `port` that send `first_bytes` (maybe nothing) and then stay silent."""
    with contextlib.ExitStack() as stack:
        conns = []
        for _ in range(count):
            conn = stack.enter_context(socket.create_connection((HOST, port), timeout=SOCKET_TIMEOUT_S))
            if first_bytes:
                conn.sendall(first_bytes)
            conns.append(conn)
        yield conns


def closed_by_server(conn: socket.socket) -> bool:
    """Waits (up to the socket's timeout) for the server to close `conn`; False if it sent anything instead."""
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


Pair = Tuple[socket.socket, socket.socket]


@contextlib.contextmanager
def connected_pair(timeout_s: float = SOCKET_TIMEOUT_S) -> Iterator[Pair]:
    """(client, server) ends of one TCP connection on the loopback interface, for the socket-level unit tests."""
    with socket.create_server((HOST, 0)) as listener:
        client = socket.create_connection(listener.getsockname(), timeout=timeout_s)
        server, _ = listener.accept()
    with client, server:
        yield client, server
