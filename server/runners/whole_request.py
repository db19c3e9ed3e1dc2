"""Whether a connection's whole request (head and body) is already in the kernel's receive buffer.

The sync worker's extra threads take a connection only while the main thread is busy, and must never wait on a
client: a client that sends its head and then trickles (or withholds) its body would hold such a thread with no
deadline, since the worker timeout that bounds the main thread (the arbiter kills a worker whose main thread stops
beating) never sees a helper thread. So before a helper reads a request, `body_state` tells it apart:

- READY: the head and its Content-Length body are buffered (or there is no body, or the client waits for
  `100 Continue` before sending it): served at once;
- WAITING: a body of known length, small enough to be buffered whole, has not all arrived: the connection waits
  in a gate (head_gate.py) until it has, and is closed if it has not within the worker timeout, the bound
  upstream's worker has for the same client;
- UNKNOWN: a chunked body, or one longer than a peek: read by the main thread, as upstream's only thread reads it,
  under the worker timeout;
- GONE: the peer closed or failed.

This decides only *which thread* reads the request and when, never what it says: it peeks (`MSG_PEEK`, nothing
consumed) at the head's framing headers, and gunicorn still parses and judges everything.
"""

from __future__ import annotations

import socket
from typing import Any, Optional

from .head_gate import PEEK_LIMIT, READY, WAITING, peek

UNKNOWN = "unknown"
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


def body_state(sock: socket.socket) -> str:
    """READY, WAITING, UNKNOWN or GONE (above). Never blocks and consumes nothing."""
    state, data = peek(sock)
    if state != READY:
        return state
    head_length = _head_length(data)
    if head_length is None:
        return UNKNOWN  # a head longer than a peek: gunicorn's own limits decide
    body_length = _body_length(data[:head_length])
    if body_length is None or head_length + body_length > PEEK_LIMIT:
        return UNKNOWN
    return READY if len(data) >= head_length + body_length else WAITING


def _head_length(data: bytes) -> Optional[int]:
    found = [(data.find(end), end) for end in _HEAD_ENDS]
    ends = [index + len(end) for index, end in found if index >= 0]
    return min(ends) if ends else None


def _body_length(head: bytes) -> Optional[int]:
    """The Content-Length the body needs (0 without one), or None when it cannot be told from the head."""
    length: Optional[int] = None
    for line in head.split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        name = name.strip().lower()
        if name == b"transfer-encoding":
            return None
        if name == b"expect" and value.strip().lower() == b"100-continue":
            # The client sends its body only once the reader answers `100 Continue`: waiting for it here would
            # stall it (curl: 1 s). So it is read at once, as before; a client that then withholds its body holds
            # that thread, as any client does upstream.
            return 0
        if name == b"content-length":
            if length is not None:
                return 0  # two of them: gunicorn refuses the head with a 400 before any body is read
            try:
                length = int(value.strip())
            except ValueError:
                return 0  # likewise
    return max(length or 0, 0)


def late_body_line(addr: Any, within: str, upstream: str = "") -> str:
    """The warning for a parked connection closed because its body did not come `within` a limit."""
    peer = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) and len(addr) >= 2 else str(addr)
    return (
        f"Closed a connection from {peer} without an answer: its request body did not arrive {within}.{upstream} "
        "Check that the client sends the Content-Length it declares."
    )
