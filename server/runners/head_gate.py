"""Keeps a connection away from the serving threads until its request head has arrived.

A client that connects and then sends nothing, or one byte now and then, would hold whichever thread reads its
request: gunicorn's parser blocks until the head is complete. So a new (or kept-alive) connection whose head is
not yet in the kernel's receive buffer is parked here instead: one thread watches every parked socket with an
edge-triggered epoll (woken only when new bytes arrive, so a partial head costs nothing while it waits), peeks at
what has arrived (`MSG_PEEK`: nothing is consumed, gunicorn still reads and parses everything), and hands the
socket back through `ready` once the blank line that ends the head is there. A socket that has not got that far
within the header timeout, or whose peer went away, goes to `dropped` (the caller closes it).

This decides only *when* a socket is handed over, never what it says: a head too long to peek at whole is handed
over too, and gunicorn answers it as before. Linux only (epoll); elsewhere `HeadGate.available()` is False and the
runners hand every connection over at once, as gunicorn does.

The same gate parks a helper thread's connection until its small body has arrived too, given another state
function (whole_request.py) and the worker timeout.
"""

from __future__ import annotations

import collections
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, Generic, Tuple, TypeVar

T = TypeVar("T")

# A head of this many bytes without its end is handed over anyway: gunicorn's own limits then apply.
PEEK_LIMIT = 65536
# How often the gate thread looks at the clock when nothing happens (expiry, stop).
TICK_S = 0.5
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")  # a bare-LF head is handed over too: the parser decides about it

WAITING, READY, GONE = "waiting", "ready", "gone"


def peek(sock: socket.socket) -> Tuple[str, bytes]:
    """(WAITING, b"") when nothing has arrived, (GONE, b"") when the peer closed or failed, else (READY, what the
    receive buffer holds, up to PEEK_LIMIT bytes). Never blocks and consumes nothing."""
    try:
        data = sock.recv(PEEK_LIMIT, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return WAITING, b""
    except OSError:
        return GONE, b""
    return (READY, data) if data else (GONE, b"")


def head_state(sock: socket.socket) -> str:
    """READY when a whole request head is in the receive buffer, GONE when the peer closed or failed, else
    WAITING. Never blocks and consumes nothing."""
    state, data = peek(sock)
    if state != READY or len(data) >= PEEK_LIMIT or any(end in data for end in _HEAD_ENDS):
        return state
    return WAITING


@dataclass
class _Parked(Generic[T]):
    sock: socket.socket
    item: T
    deadline: float
    fd: int = field(init=False)

    def __post_init__(self) -> None:
        self.fd = self.sock.fileno()


class HeadGate(Generic[T]):
    """Parks sockets until their request head is complete. `ready(item)` and `dropped(item)` run on the gate's
    own thread; each parked item gets exactly one of them."""

    @staticmethod
    def available() -> bool:
        return hasattr(select, "epoll")

    def __init__(
        self,
        timeout_s: float,
        ready: Callable[[T], None],
        dropped: Callable[[T], None],
        state: Callable[[socket.socket], str] = head_state,
    ) -> None:
        self._timeout_s = timeout_s
        self._state = state  # WAITING keeps a socket parked; GONE drops it; anything else hands it over
        self._ready = ready
        self._dropped = dropped
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._parked: Dict[int, _Parked[T]] = {}
        # Parked in deadline order (every deadline is park time + the same timeout); entries already released
        # are skipped when they reach the front.
        self._order: Deque[_Parked[T]] = collections.deque()
        self._thread = threading.Thread(target=self._loop, name="azmlinfsrv-head-gate", daemon=True)
        self._thread.start()

    def park(self, sock: socket.socket, item: T) -> None:
        entry = _Parked(sock, item, time.monotonic() + self._timeout_s)
        with self._lock:
            self._parked[entry.fd] = entry
            self._order.append(entry)
            # Registering a socket that is already readable reports it once, so bytes that arrived before this
            # call are not missed.
            self._epoll.register(entry.fd, select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET)

    def pending(self) -> int:
        with self._lock:
            return len(self._parked)

    def cap_deadlines(self, seconds: float) -> None:
        """At shutdown: a parked connection gets at most `seconds` more to complete its head."""
        latest = time.monotonic() + seconds
        with self._lock:
            for entry in self._order:
                entry.deadline = min(entry.deadline, latest)

    def _loop(self) -> None:
        while True:
            try:
                events = self._epoll.poll(self._next_wait())
            except InterruptedError:
                continue
            for fd, _ in events:
                self._check(fd)
            self._expire(time.monotonic())

    def _next_wait(self) -> float:
        with self._lock:
            first = self._order[0].deadline if self._order else None
        if first is None:
            return TICK_S
        return max(0.0, min(TICK_S, first - time.monotonic()))

    def _check(self, fd: int) -> None:
        with self._lock:
            entry = self._parked.get(fd)
        if entry is None:
            return
        state = self._state(entry.sock)
        if state != WAITING and self._release(entry):
            (self._dropped if state == GONE else self._ready)(entry.item)

    def _expire(self, now: float) -> None:
        while True:
            with self._lock:
                if not self._order or self._order[0].deadline > now:
                    return
                entry = self._order.popleft()
            if self._release(entry):
                self._dropped(entry.item)

    def _release(self, entry: _Parked[T]) -> bool:
        """Stop watching `entry`; False when it was released already."""
        with self._lock:
            if self._parked.get(entry.fd) is not entry:
                return False
            del self._parked[entry.fd]
            self._epoll.unregister(entry.fd)
            return True
