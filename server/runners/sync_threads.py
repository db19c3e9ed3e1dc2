"""A gunicorn worker class: the sync worker, plus a few threads that take connections while it is busy.

Why not gunicorn's `gthread`: it hands every request from a poller thread to a pool thread, and `run()` would
then need a second hand-off to a scoring thread for its timeout; together that roughly halved throughput here.
Why not the plain sync worker: it serves one connection at a time, so `GET /` would wait behind a long `run()`.

So the main thread serves exactly as gunicorn's sync worker does (one request per connection, `Connection:
close`, as upstream) and calls `run()` inline under upstream's SIGALRM timeout (see script/scoring.py). The extra
threads accept connections only once the main thread has been busy with one for a moment (50 ms, so that ordinary
back-to-back requests stay on the main thread): they answer `GET /` and `/swagger.json` at once,
and queue `/score` behind the running call, which stays serial.

The heartbeat stops while one `run()` call has been busy longer than the worker timeout, so the arbiter kills and
respawns a worker stuck in user code, as it kills upstream's sync worker.

Two per-connection costs of the sync worker are trimmed, both invisible to clients: the heartbeat file is touched
at most every `HEARTBEAT_S` instead of before every connection (the arbiter only needs a beat within the worker
timeout), and accepted sockets skip the two fcntl calls that mark them close-on-exec, which Python sockets already
are (PEP 446).
"""

from __future__ import annotations

import errno
import select
import threading
import time
from typing import Any, Callable, List, Optional

from gunicorn.workers.sync import SyncWorker

from .loaded import LoadedWorker

EXTRA_THREADS = 3
IDLE_POLL_S = 1.0
BUSY_GRACE_S = 0.05
# At most this often, and at least 10 times per worker timeout.
HEARTBEAT_S = 1.0
_RETRY_ERRNOS = (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK)


class ThreadedSyncWorker(SyncWorker):  # type: ignore[misc]
    _aborted = False
    _busy_since = 0.0
    _beat_at = float("-inf")
    # How long the current run() call has been busy; None until loaded, and for apps that are not a LoadedWorker.
    _busy_for: Optional[Callable[[], Optional[float]]] = None

    def load_wsgi(self) -> None:
        """gunicorn's loading, then the LoadedWorker unpacked: its app serves, its probe feeds the heartbeat."""
        super().load_wsgi()
        loaded: object = getattr(self, "wsgi", None)
        if isinstance(loaded, LoadedWorker):
            self.wsgi = loaded.app
            self._busy_for = loaded.busy_for

    def run(self) -> None:
        self._main_busy = threading.Event()
        threads = [
            threading.Thread(target=self._serve_while_busy, name=f"azmlinfsrv-http-{i}", daemon=True)
            for i in range(EXTRA_THREADS)
        ]
        for thread in threads:
            thread.start()
        super().run()  # gunicorn's own loop on the main thread: signals, heartbeat, parent check
        if self._aborted:
            return  # killed for the worker timeout: the arbiter sends SIGKILL next, so leave at once
        deadline = time.monotonic() + float(self.cfg.graceful_timeout)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def accept(self, listener: Any) -> None:
        client, addr = listener.accept()  # raises BlockingIOError when none is waiting, as the loop expects
        client.setblocking(True)
        self.handle(listener, client, addr)

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        on_main = threading.current_thread() is threading.main_thread()
        if on_main:
            self._busy_since = time.monotonic()
            self._main_busy.set()
        try:
            super().handle(listener, client, addr)
        finally:
            if on_main:
                self._main_busy.clear()

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
            for listener in self._ready_listeners():
                if self._held_up():
                    self._accept_one(listener)

    def _held_up(self) -> bool:
        """The main thread is busy with one connection for a while, not merely between two requests: only then
        is a new connection taken here, so that run() normally executes on the main thread, under upstream's
        SIGALRM timeout and abort handling."""
        return self._main_busy.is_set() and time.monotonic() - self._busy_since >= BUSY_GRACE_S

    def _ready_listeners(self) -> List[Any]:
        try:
            ready, _, _ = select.select(self.sockets, [], [], IDLE_POLL_S)
        except (OSError, ValueError):
            return []  # the listeners are being closed at shutdown
        return list(ready)

    def _accept_one(self, listener: Any) -> None:
        try:
            self.accept(listener)
        except OSError as exc:
            if exc.errno not in _RETRY_ERRNOS:
                self.log.exception("Error accepting a connection")

    def notify(self) -> None:
        now = time.monotonic()
        if now - self._beat_at < min(HEARTBEAT_S, float(self.cfg.timeout) / 10.0):
            return
        if not self._stuck():
            super().notify()
            self._beat_at = now

    def _stuck(self) -> bool:
        busy_for = self._busy_for
        seconds = busy_for() if busy_for is not None else None
        return seconds is not None and seconds > float(self.cfg.timeout)
