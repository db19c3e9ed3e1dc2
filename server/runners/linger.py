"""Closes answered connections the way gunicorn's sync worker does, without holding the serving thread meanwhile.

After each response gunicorn (25 and later) closes the client socket "gracefully" (RFC 9112 §9.6): it sends its
FIN, then reads and discards whatever the client still sends until the client closes too, for at most 2 s and
64 KiB, and only then closes. Closing at once while unread bytes sit in the receive buffer (a body the app did
not read, a pipelined request) makes the kernel send a reset, which can destroy the response before the client
has read it. But the sync worker waits for that end on the thread that serves: every request costs a round trip
to the client while the one thread that scores sits idle, and a client that keeps its end open holds it for 2 s.

`LingeringClose` does the same things in the same order without the wait: it half-closes (the client sees the
same FIN at the same moment), discards what is already there, and closes at once when the client has gone too.
Otherwise the socket lingers in an epoll set, which the serving loop reaps between connections (`reap()`, a
non-blocking poll) and waits on when idle (`fileno()`): whatever arrives is discarded, and the socket is closed
when the client closes, when the drain cap is passed, or once its linger time is over. No thread of its own, so
no thread switch per connection.
"""

from __future__ import annotations

import collections
import contextlib
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, Optional

# gunicorn's `close_graceful` defaults: how long, and how much, to read from a client after answering it.
LINGER_S = 2.0
MAX_DRAIN = 65536
_CHUNK = 4096


@dataclass
class _Closing:
    sock: socket.socket
    left: int  # bytes still to discard before giving up on a clean end
    deadline: float
    fd: int = field(init=False)
    ended: bool = False

    def __post_init__(self) -> None:
        self.fd = self.sock.fileno()


def _client_gone(entry: _Closing) -> bool:
    """Discard what the client has sent so far, without waiting; True once it closed, failed or sent more than
    the cap allows."""
    while entry.left > 0:
        try:
            data = entry.sock.recv(_CHUNK, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        if not data:
            return True
        entry.left -= len(data)
    return True


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class LingeringClose:
    """A drop-in for gunicorn's `util.close_graceful(sock, timeout, max_drain)` that never blocks its caller.
    Any serving thread may call it and `reap()`."""

    @staticmethod
    def available() -> bool:
        return hasattr(select, "epoll")

    def __init__(self, linger_s: float = LINGER_S) -> None:
        self._linger_s = linger_s
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._open: Dict[int, _Closing] = {}
        self._order: Deque[_Closing] = collections.deque()  # by deadline: every linger is equally long

    def __call__(self, sock: socket.socket, timeout: float = LINGER_S, max_drain: int = MAX_DRAIN) -> None:
        # `timeout` is gunicorn's own default whenever it calls; the linger time is this closer's (`linger_s`), one
        # for every socket, which keeps `_order` in deadline order.
        if self._holds(sock):
            return  # gunicorn closes twice after a failed response: the first call is under way
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            _close(sock)  # the client is gone already: nothing to wait for
            return
        entry = _Closing(sock, max_drain, time.monotonic() + self._linger_s)
        if _client_gone(entry):
            _close(sock)
            return
        with self._lock:
            self._open[entry.fd] = entry
            self._order.append(entry)
            self._epoll.register(entry.fd, select.EPOLLIN | select.EPOLLRDHUP)

    def fileno(self) -> int:
        """Readable when a lingering client has sent or closed something: for the serving loop's select()."""
        return self._epoll.fileno()

    def pending(self) -> int:
        return len(self._open)

    def reap(self) -> None:
        """Close what has ended or run out of time. Never blocks."""
        if not self._open:
            return
        with self._lock:
            for fd, _ in self._epoll.poll(0):
                entry = self._open.get(fd)
                if entry is not None and _client_gone(entry):
                    self._end(entry)
            now = time.monotonic()
            order = self._order
            while order and (order[0].ended or order[0].deadline <= now):
                entry = order.popleft()
                if not entry.ended:
                    self._end(entry)

    def finish(self, deadline: float) -> None:
        """At shutdown: give the lingering connections until `deadline` (at most their own) to end, then close."""
        while self._open and time.monotonic() < deadline:
            with contextlib.suppress(InterruptedError):
                select.select([self], [], [], max(0.0, min(0.1, deadline - time.monotonic())))
            self.reap()
        with self._lock:
            for entry in list(self._open.values()):
                self._end(entry)

    def _holds(self, sock: socket.socket) -> bool:
        entry = self._open.get(sock.fileno())
        return entry is not None and entry.sock is sock

    def _end(self, entry: _Closing) -> None:
        entry.ended = True
        del self._open[entry.fd]
        with contextlib.suppress(OSError):
            self._epoll.unregister(entry.fd)
        _close(entry.sock)


def install(module: Any, attribute: str = "close_graceful") -> Optional[LingeringClose]:
    """Put a LingeringClose in place of gunicorn's `close_graceful` in this (worker) process, when that gunicorn
    has one and epoll is there; older gunicorn versions close at once, and keep doing so."""
    if getattr(module, attribute, None) is None or not LingeringClose.available():
        return None
    closer = LingeringClose()
    setattr(module, attribute, closer)
    return closer
