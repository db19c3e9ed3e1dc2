"""gunicorn's threaded worker (`gthread`) with the head gate in front of its thread pool (`fastml server`).

gthread's poller accepts a connection and hands it to a pool thread, which then blocks in the parser until the
request head is complete, so a few clients trickling their heads occupy every pool thread and `/health` waits
behind them. Here a connection (new, or kept alive for its next request) goes to the pool only once its head is in
the receive buffer; until then it waits in the head gate (head_gate.py), which closes it after the header
timeout. A request whose small body is still on its way waits the same way, in a second gate, until the body has
arrived, and is closed if it has not within the header timeout (whole_request.py). Everything else, parsing and
keep-alive included, is gthread's own.

Shutdown: the connections already in the listen backlog are accepted before gthread stops accepting, so they are
answered within the graceful timeout like those already accepted.
"""

from __future__ import annotations

import errno
from typing import Any, Optional

from gunicorn.workers.gthread import TConn, ThreadWorker

from ..config import STOP_LINGER_S
from .gunicorn_base import OurWorker
from .head_gate import GONE, READY, WAITING, HeadGate, head_state
from .whole_request import body_state, late_body_line

_RETRY_ERRNOS = (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK)


class GatedThreadWorker(OurWorker, ThreadWorker):  # type: ignore[misc]
    _gate: Optional[HeadGate[Any]] = None
    _body_gate: Optional[HeadGate[Any]] = None

    def run(self) -> None:
        if HeadGate.available() and not self.cfg.is_ssl:
            self._gate = HeadGate(self._header_timeout_s, self._head_arrived, self._gate_dropped)
            # A small body still on its way waits here too, not in a request thread, as long as a head may.
            self._body_gate = HeadGate(
                self._header_timeout_s, self._body_arrived, self._body_late, body_state
            )
        super().run()

    def enqueue_req(self, conn: Any) -> None:
        gate = self._gate
        if gate is None or getattr(conn, "head_ready", False) or _has_buffered_bytes(conn):
            conn.head_ready = False  # the next request on a kept-alive connection goes through the gate again
            super().enqueue_req(conn)
            return
        state = head_state(conn.sock)
        if state == READY:
            self._unless_body_waits(conn)
        elif state == GONE:
            self._close(conn)
        else:
            gate.park(conn.sock, conn)

    def set_accept_enabled(self, enabled: bool) -> None:
        if not enabled and not self.alive and self._accepting:
            self._accept_backlog()
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for gate in (self._gate, self._body_gate):
                if gate is not None:
                    gate.cap_deadlines(STOP_LINGER_S)

    def _accept_backlog(self) -> None:
        # gthread's accept() hides "none waiting", so the listeners are asked directly.
        for listener in self.sockets:
            while True:
                try:
                    client, addr = listener.accept()
                except OSError as exc:
                    if exc.errno not in _RETRY_ERRNOS:
                        self.log.exception("Error accepting a connection")
                    break
                self.nr_conns += 1
                client.setblocking(True)
                self.enqueue_req(TConn(self.cfg, client, addr, listener.getsockname()))

    def _unless_body_waits(self, conn: Any) -> None:
        """A connection whose head is here: to a request thread, unless its small body is still on its way."""
        body_gate = self._body_gate
        if body_gate is not None and body_state(conn.sock) == WAITING:
            body_gate.park(conn.sock, conn)
        else:
            self._enqueue_whole(conn)

    def _enqueue_whole(self, conn: Any) -> None:
        conn.head_ready = True
        conn.data_ready = True  # gthread need not wait for the first byte either
        self.enqueue_req(conn)

    # The gates' callbacks run on their thread; gthread's bookkeeping belongs to the poller thread.
    def _head_arrived(self, conn: Any) -> None:
        self.method_queue.defer(self._unless_body_waits, conn)

    def _body_arrived(self, conn: Any) -> None:
        self.method_queue.defer(self._enqueue_whole, conn)

    def _gate_dropped(self, conn: Any) -> None:
        self.method_queue.defer(self._close, conn)

    def _body_late(self, conn: Any) -> None:
        within = (
            f"within the header timeout ({self._header_timeout_s:g} s)" if self.alive else "before it stopped"
        )
        self.log.warning("%s", late_body_line(getattr(conn, "addr", "?"), within))
        self._gate_dropped(conn)

    def _close(self, conn: Any) -> None:
        self.nr_conns -= 1
        conn.close()


def _has_buffered_bytes(conn: Any) -> bool:
    """Bytes of the next request that gthread's parser already read (a drained body can read ahead)."""
    unreader = getattr(getattr(conn, "parser", None), "unreader", None)
    buf = getattr(unreader, "buf", None)
    return bool(buf is not None and buf.getvalue())
