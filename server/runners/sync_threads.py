"""A gunicorn worker class: the sync worker, plus a few threads that take connections while it is busy, and a
gate that keeps slow or idle clients off all of them.

Why not gunicorn's `gthread`: it hands every request from a poller thread to a pool thread, and `run()` would
then need a second hand-off to a scoring thread for its timeout; together that roughly halved throughput here.
Why not the plain sync worker: it serves one connection at a time, so `GET /` would wait behind a long `run()`,
and a client that connects and sends nothing holds the worker until the worker timeout kills it.

So the main thread serves exactly as gunicorn's sync worker does (one request per connection, `Connection:
close`, as upstream) and calls `run()` inline under upstream's SIGALRM timeout (see script/scoring.py). The extra
threads take connections only once the main thread has been busy with one for a moment (50 ms, so that ordinary
back-to-back requests stay on the main thread): they answer `GET /` and `/swagger.json` at once,
and queue `/score` behind the running call, which stays serial.

No thread ever waits for a client's request head. A connection is served at once only when its whole head is
already in the receive buffer (always the case for an ordinary client by the time it is accepted); any other is
parked in the head gate (head_gate.py), which closes it after the header timeout or hands it back through the
ready channel once the head has arrived, to whichever serving thread is free. Nor does an extra thread wait for a
body (whole_request.py): it serves a connection only once the whole request is buffered, parks a small body still
on its way in a second gate for up to the worker timeout, and hands what it cannot tell (chunked, large) to the
main thread, which reads it as upstream's only thread does, under the worker timeout.

Shutdown loses nothing: once the worker is told to stop, it accepts what is left in the listen backlog, closes its
listeners, and serves every accepted connection (parked ones get a short linger to complete their head) within
the graceful timeout.

The heartbeat is the main thread's, as in upstream's sync worker: none is sent while the main thread is inside one
connection, and a fresh one when it starts one, so the arbiter kills and respawns a worker whose main thread has
been held by one connection (a `run()` stuck in user code, a client withholding its body) for the worker timeout,
as it kills upstream's. It also stops while a `run()` on an extra thread has been busy longer than that.

After answering, the sync worker waits on the serving thread for the client to close its end (gunicorn 25+,
RFC 9112 §9.6): a round trip per request, up to 2 s for a client that keeps its end open. Here the same FIN,
drain and close happen without that wait (linger.py): the main loop reaps the lingering sockets between
connections and goes on to the next one at once.

Two per-connection costs of the sync worker are trimmed, both invisible to clients: the heartbeat file is touched
at most every `HEARTBEAT_S` between connections and at most every `FRESH_BEAT_S` when one starts, instead of before
every connection (the arbiter only needs a beat within the worker timeout), and accepted sockets skip the two fcntl
calls that mark them close-on-exec, which Python sockets already are (PEP 446). Per request, the worker also reads its gunicorn settings from plain attributes once read
(cached_settings.py) and writes each answer as gunicorn does with fewer system calls (wire.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import select
import threading
import time
from typing import Any, List, Optional, Tuple

from gunicorn import util as gunicorn_util
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.workers.sync import SyncWorker

from ..config import STOP_LINGER_S
from . import wire
from .cached_settings import cache_settings
from .gunicorn_base import OurWorker
from .head_gate import GONE, READY, WAITING, HeadGate, head_state
from .linger import LingeringClose, install
from .whole_request import UNKNOWN, body_state, late_body_line

EXTRA_THREADS = 3
IDLE_POLL_S = 1.0
BUSY_GRACE_S = 0.05
# At most this often, and at least 10 times per worker timeout.
HEARTBEAT_S = 1.0
# At a connection's start the last beat is at most this old, so the worker timeout counts from about then.
FRESH_BEAT_S = 0.05
_RETRY_ERRNOS = (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK)

Accepted = Tuple[Any, Any, Any]  # listener, client socket, peer address


class ReadyChannel:
    """Connections whose head has arrived, for any serving thread: one byte in the pipe per queued connection, so
    a thread that reads a byte is sure to find a connection, and the pipe can sit in a select() beside the
    listeners."""

    def __init__(self) -> None:
        self._items: queue.SimpleQueue[Accepted] = queue.SimpleQueue()
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self.fd, False)

    def put(self, item: Accepted) -> None:
        self._items.put(item)
        os.write(self._write_fd, b".")

    def take(self) -> Optional[Accepted]:
        # The main loop asks before every connection; an empty queue answers without a system call. An item put
        # but whose byte is not written yet is found on a later call (or by select, once the byte is there).
        if self._items.empty():
            return None
        try:
            if not os.read(self.fd, 1):
                return None
        except (BlockingIOError, InterruptedError):
            return None
        return self._items.get()


class ThreadedSyncWorker(OurWorker, SyncWorker):  # type: ignore[misc]
    _aborted = False
    _busy_since = 0.0
    _beat_at = float("-inf")
    _main_busy: threading.Event  # set while the main thread is inside a connection (made in run())
    _gate: Optional[HeadGate[Accepted]] = None
    _body_gate: Optional[HeadGate[Accepted]] = None
    _closer: Optional[LingeringClose] = None

    def run(self) -> None:
        # This process is this worker's alone (forked by the arbiter), so the swap touches no other server. TLS
        # sockets cannot be read without blocking the way the lingering close reads: they keep gunicorn's close.
        self._closer = None if self.cfg.is_ssl else install(gunicorn_util)
        wire.install(gunicorn_util, gunicorn_wsgi)
        cache_settings(self.cfg)
        self._main_busy = threading.Event()
        self._channel = ReadyChannel()
        self._main_only = ReadyChannel()  # what a helper thread must not wait on (whole_request.py)
        if HeadGate.available() and not self.cfg.is_ssl:
            self._gate = HeadGate(self._header_timeout_s, self._channel.put, _close_accepted)
            # A body withheld from a helper gets the bound upstream's worker has for it: the worker timeout.
            self._body_gate = HeadGate(
                float(self.cfg.timeout), self._channel.put, self._body_late, body_state
            )
        threads = [
            threading.Thread(target=self._serve_while_busy, name=f"azmlinfsrv-http-{i}", daemon=True)
            for i in range(EXTRA_THREADS)
        ]
        for thread in threads:
            thread.start()
        for listener in self.sockets:
            listener.setblocking(False)
        self._serve_main()
        if self._aborted:
            return  # killed for the worker timeout: the arbiter sends SIGKILL next, so leave at once
        deadline = time.monotonic() + float(self.cfg.graceful_timeout)
        self._drain(deadline)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        while time.monotonic() < deadline and (left := self._main_only.take()) is not None:
            self.handle(*left)  # handed over by a helper after the drain ended
        if self._closer is not None:
            self._closer.finish(deadline)

    def _serve_main(self) -> None:
        """gunicorn's sync loop, with parked connections coming back through the ready channel, and answered ones
        closed as their clients leave."""
        closer = self._closer
        while self.alive:
            self.notify()
            if closer is not None:
                closer.reap()
            ready = self._main_only.take() or self._channel.take()
            if ready is not None:
                self.handle(*ready)
                continue
            if self._accept_any():
                continue
            if not self.is_parent_alive():
                return
            self._wait(min(self.timeout or 0.5, IDLE_POLL_S))

    def _accept_any(self) -> bool:
        accepted = False
        for listener in self.sockets:
            try:
                self.accept(listener)
                accepted = True
            except OSError as exc:
                if exc.errno not in _RETRY_ERRNOS:
                    raise
        return accepted

    def _wait(self, timeout: float) -> None:
        watched: List[Any] = [*self.sockets, self.PIPE[0], self._channel.fd, self._main_only.fd]
        if self._closer is not None and self._closer.pending():
            watched.append(self._closer)
        try:
            ready, _, _ = select.select(watched, [], [], timeout)
        except InterruptedError:
            return
        if self.PIPE[0] in ready:  # a signal woke us (gunicorn's wakeup fd)
            with contextlib.suppress(OSError):
                os.read(self.PIPE[0], 64)

    def accept(self, listener: Any) -> None:
        client, addr = listener.accept()  # raises BlockingIOError when none is waiting, as the loop expects
        client.setblocking(True)
        self._admit(listener, client, addr)

    def _admit(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve a connection on this thread if its head is here, else park it until it is."""
        gate = self._gate
        if gate is None:
            self.handle(listener, client, addr)
            return
        state = head_state(client)
        if state == READY:
            self.handle(listener, client, addr)
        elif state == GONE:
            client.close()
        else:
            gate.park(client, (listener, client, addr))

    def _drain(self, deadline: float) -> None:
        """Stopping: take what the listen backlog holds, close the listeners, answer everything accepted."""
        for listener in self.sockets:
            while time.monotonic() < deadline and self._accept_once(listener):
                pass
            listener.close()
        gates = [gate for gate in (self._gate, self._body_gate) if gate is not None]
        for gate in gates:
            gate.cap_deadlines(STOP_LINGER_S)
        while time.monotonic() < deadline:
            self.notify()
            ready = self._main_only.take() or self._channel.take()
            if ready is not None:
                self.handle(*ready)
            elif all(gate.pending() == 0 for gate in gates):
                return
            else:
                select.select([self._channel.fd], [], [], min(0.1, max(0.0, deadline - time.monotonic())))

    def _accept_once(self, listener: Any) -> bool:
        try:
            self.accept(listener)
        except OSError as exc:
            # EBADF: a helper thread raced the listeners being closed at shutdown.
            if exc.errno not in _RETRY_ERRNOS and (self.alive or exc.errno != errno.EBADF):
                self.log.exception("Error accepting a connection")
            return False
        return True

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        on_main = threading.current_thread() is threading.main_thread()
        if not on_main and not self._request_here(listener, client, addr):
            return
        if on_main:
            self._busy_since = now = time.monotonic()
            if now - self._beat_at >= FRESH_BEAT_S:
                self._beat(now)
            self._main_busy.set()
        try:
            super().handle(listener, client, addr)
        finally:
            if on_main:
                self._main_busy.clear()

    def _request_here(self, listener: Any, client: Any, addr: Any) -> bool:
        """On a helper thread: True when the whole request is buffered; else the connection is parked until it
        is, or handed to the main thread when that cannot be told (whole_request.py)."""
        state = body_state(client)
        if state == WAITING and self._body_gate is not None:
            self._body_gate.park(client, (listener, client, addr))
            return False
        if state in (UNKNOWN, WAITING):
            self._main_only.put((listener, client, addr))
            return False
        return True

    def _body_late(self, accepted: Accepted) -> None:
        """A parked body still incomplete at the worker timeout: closed unanswered, as upstream's worker would
        be killed, with a line that says why."""
        within = (
            f"within the worker timeout ({self.cfg.timeout} s)" if self.alive else "before the worker stopped"
        )
        upstream = " Upstream's worker is killed and restarted for such a client."
        self.log.warning("%s", late_body_line(accepted[2], within, upstream))
        _close_accepted(accepted)

    def handle_abort(self, sig: int, frame: Any) -> None:
        self._aborted = True
        super().handle_abort(sig, frame)

    def _serve_while_busy(self) -> None:
        while self.alive:
            self.notify()
            if not self._main_busy.wait(IDLE_POLL_S):
                continue
            held_for = time.monotonic() - self._busy_since
            if held_for < BUSY_GRACE_S:
                time.sleep(BUSY_GRACE_S - held_for)
                continue
            for source in self._ready_sources():
                if self.alive and self._held_up():
                    self._take_one(source)
            if self._closer is not None:
                self._closer.reap()  # while the main thread is held up, its answered sockets still get closed

    def _held_up(self) -> bool:
        """The main thread is busy with one connection for a while, not merely between two requests: only then
        is a new connection taken here, so that run() normally executes on the main thread, under upstream's
        SIGALRM timeout and abort handling."""
        return self._main_busy.is_set() and time.monotonic() - self._busy_since >= BUSY_GRACE_S

    def _ready_sources(self) -> List[Any]:
        try:
            ready, _, _ = select.select([*self.sockets, self._channel.fd], [], [], IDLE_POLL_S)
        except (OSError, ValueError):
            return []  # the listeners are being closed at shutdown
        return list(ready)

    def _take_one(self, source: Any) -> None:
        if source == self._channel.fd:
            ready = self._channel.take()
            if ready is not None:
                self.handle(*ready)
        else:
            self._accept_once(source)

    def notify(self) -> None:
        if self._main_busy.is_set():
            return  # the main thread is inside a connection: no sign of life until it is out, as upstream
        now = time.monotonic()
        if now - self._beat_at >= min(HEARTBEAT_S, float(self.cfg.timeout) / 10.0):
            self._beat(now)

    def _beat(self, now: float) -> None:
        if not self._stuck():
            super().notify()
            self._beat_at = now

    def _stuck(self) -> bool:
        busy_for = self._busy_for
        seconds = busy_for() if busy_for is not None else None
        return seconds is not None and seconds > float(self.cfg.timeout)


def _close_accepted(accepted: Accepted) -> None:
    """A parked connection that never completed its head, or whose client left: closed, nothing answered."""
    with contextlib.suppress(OSError):
        accepted[1].close()
