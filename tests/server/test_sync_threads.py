"""Unit tests for the per-connection trims of ThreadedSyncWorker (heartbeat interval, accept without fcntl).

Its behaviour under load (liveness while run() is busy, the worker timeout) is checked over HTTP in
test_conformance_process.py.
"""

from __future__ import annotations

import errno
import socket
import threading
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import pytest
from azmlinfsrv.runners import sync_threads
from azmlinfsrv.runners.loaded import LoadedWorker
from azmlinfsrv.runners.sync_threads import FRESH_BEAT_S, HEARTBEAT_S, ThreadedSyncWorker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Heartbeat:
    def __init__(self) -> None:
        self.beats = 0

    def notify(self) -> None:
        self.beats += 1


def wsgi_app(environ: Dict[str, Any], start_response: Any) -> List[bytes]:
    return []


def make_worker(timeout: int, busy_for: Optional[float] = None) -> Any:
    """A worker loaded as gunicorn loads it: `app.wsgi()` gives the LoadedWorker that boot() returned."""
    worker: Any = ThreadedSyncWorker.__new__(ThreadedSyncWorker)
    worker.cfg = SimpleNamespace(timeout=timeout, reload=False)
    worker.tmp = Heartbeat()
    worker._main_busy = threading.Event()
    worker.app = SimpleNamespace(wsgi=lambda: LoadedWorker(wsgi_app, lambda: busy_for))
    worker.load_wsgi()
    return worker


def test_loaded_worker_serves_its_app() -> None:
    assert make_worker(timeout=300).wsgi is wsgi_app


def test_plain_wsgi_app_serves_without_a_busy_probe(clock: Clock) -> None:
    # The bench's bare Flask app runs on this worker class too.
    worker: Any = ThreadedSyncWorker.__new__(ThreadedSyncWorker)
    worker.cfg = SimpleNamespace(timeout=2, reload=False)
    worker.tmp = Heartbeat()
    worker._main_busy = threading.Event()
    worker.app = SimpleNamespace(wsgi=lambda: wsgi_app)
    worker.load_wsgi()
    assert worker.wsgi is wsgi_app
    worker.notify()
    assert worker.tmp.beats == 1


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sync_threads.time, "monotonic", fake)
    return fake


def test_heartbeat_at_most_once_per_interval(clock: Clock) -> None:
    worker = make_worker(timeout=300)
    for _ in range(50):
        worker.notify()
    assert worker.tmp.beats == 1
    clock.now += HEARTBEAT_S * 0.9
    worker.notify()
    assert worker.tmp.beats == 1
    clock.now += HEARTBEAT_S * 0.2
    worker.notify()
    assert worker.tmp.beats == 2


def test_short_worker_timeout_beats_ten_times_per_timeout(clock: Clock) -> None:
    worker = make_worker(timeout=2)
    worker.notify()
    clock.now += 0.1
    worker.notify()
    assert worker.tmp.beats == 1
    clock.now += 0.11
    worker.notify()
    assert worker.tmp.beats == 2


def test_no_heartbeat_while_run_is_stuck(clock: Clock) -> None:
    worker = make_worker(timeout=2, busy_for=5.0)
    for _ in range(5):
        clock.now += 1.0
        worker.notify()
    assert worker.tmp.beats == 0


def test_heartbeat_while_run_is_busy_within_the_timeout(clock: Clock) -> None:
    worker = make_worker(timeout=2, busy_for=1.0)
    for _ in range(3):
        clock.now += 1.0
        worker.notify()
    assert worker.tmp.beats == 3


def test_no_heartbeat_while_the_main_thread_is_inside_a_connection(clock: Clock) -> None:
    # As upstream's sync worker: the extra threads keep answering, but do not vouch for the main thread, so a
    # connection that holds it (a stuck run(), a withheld body) gets the worker killed at the worker timeout.
    worker = make_worker(timeout=2)
    worker._main_busy.set()
    for _ in range(5):
        clock.now += 1.0
        worker.notify()
    assert worker.tmp.beats == 0
    worker._main_busy.clear()
    worker.notify()
    assert worker.tmp.beats == 1


def test_a_connection_starts_with_a_fresh_heartbeat(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker timeout counts from the connection's start (at most FRESH_BEAT_S earlier), not from the last beat.
    monkeypatch.setattr(sync_threads.threading, "current_thread", sync_threads.threading.main_thread)
    monkeypatch.setattr(sync_threads.SyncWorker, "handle", lambda self, listener, client, addr: None)
    worker = make_worker(timeout=300)
    worker.notify()
    clock.now += FRESH_BEAT_S / 2
    worker.handle(None, None, None)
    assert worker.tmp.beats == 1  # fresh enough
    clock.now += FRESH_BEAT_S
    worker.handle(None, None, None)
    assert worker.tmp.beats == 2
    assert not worker._main_busy.is_set()


def test_accepted_connection_is_blocking_and_not_inherited(monkeypatch: pytest.MonkeyPatch) -> None:
    handled: List[socket.socket] = []
    worker = make_worker(timeout=300)
    monkeypatch.setattr(worker, "handle", lambda listener, client, addr: handled.append(client))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        with pytest.raises(BlockingIOError) as nothing_waiting:
            worker.accept(listener)
        assert nothing_waiting.value.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
        with socket.create_connection(listener.getsockname(), timeout=5):
            listener.settimeout(5)  # the connection is queued; don't race the handshake
            worker.accept(listener)
        assert len(handled) == 1
        client = handled[0]
        assert client.getblocking() is True
        assert client.get_inheritable() is False
        client.close()
