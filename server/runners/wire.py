"""How a worker puts an answer on the wire: the bytes gunicorn sends, with less work per request.

Two swaps in a gunicorn worker process (installed by the worker, see sync_threads.py), both byte for byte:

* `DateCache` stands in for `gunicorn.util.http_date`. gunicorn formats the `Date` header anew for every
  response through `email.utils.formatdate`; the text changes once a second, so it is made once a second.
* `CoalescingResponse` stands in for `gunicorn.http.wsgi.Response`. gunicorn sends the head of a response in one
  `sendall` and the body in another; for a small, non-chunked body both now leave in one. The bytes on the
  wire are the same (only how TCP segments them can differ), and it saves a system call per request.

Only gunicorn versions with the hooks used here get the swaps (`Response._emit_body`, gunicorn 25 and later);
with an older one the worker keeps gunicorn's own functions.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

# A larger body is sent on its own, as gunicorn sends it: joining it to the head would copy it.
COALESCE_MAX_BYTES = 64 * 1024
# Above this fraction of a second, formatdate's rounding to microseconds can carry into the next second.
_LAST_SAFE_FRACTION = 0.999999


class DateCache:
    """`http_date()` as gunicorn defines it, the current time's text made at most once a second."""

    __slots__ = ("_format", "_second", "_text")

    def __init__(self, original: Callable[..., str]) -> None:
        self._format = original
        self._second = -1
        self._text = ""

    def __call__(self, timestamp: Optional[float] = None) -> str:
        if timestamp is not None:
            return self._format(timestamp)
        now = time.time()
        second = int(now)
        if now - second >= _LAST_SAFE_FRACTION:
            return self._format(now)
        if second != self._second:
            self._text = self._format(float(second))
            self._second = second
        return self._text


class _Stash:
    """Stands in for the socket while the head is built: keeps what would have been sent."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += bytes(data)


def coalescing_response(base: Any, write: Callable[[Any, bytes], None]) -> Any:
    """A subclass of gunicorn's Response `base` that sends the head with the first body bytes when the body is
    small and not chunked; `write` is gunicorn's `util.write`, which sends whatever is left."""

    class CoalescingResponse(base):  # type: ignore[misc]
        sock: Any
        _head: Optional[bytes] = None
        _stashing = False

        def write(self, arg: Any) -> None:
            plain = isinstance(arg, bytes) and 0 < len(arg) <= COALESCE_MAX_BYTES
            if self.headers_sent or self.chunked or not plain:
                return super().write(arg)  # type: ignore[no-any-return]
            self._stashing = True
            try:
                super().write(arg)
            finally:
                self._stashing = False
                head, self._head = self._head, None
                if head is not None:
                    write(self.sock, head)  # gunicorn sent no body bytes (HEAD, 204, Content-Length: 0)
            return None

        def send_headers(self) -> None:
            if not self._stashing or self.headers_sent:
                super().send_headers()
                return
            sock, stash = self.sock, _Stash()
            self.sock = stash
            try:
                super().send_headers()
            finally:
                self.sock = sock
            self._head = stash.data

        def _emit_body(self, data: bytes) -> None:
            head, self._head = self._head, None
            super()._emit_body(data if head is None else head + data)

    CoalescingResponse.__name__ = CoalescingResponse.__qualname__ = f"Coalescing{base.__name__}"
    return CoalescingResponse


def install(util_module: Any, wsgi_module: Any) -> bool:
    """Both swaps in this (worker) process, when this gunicorn has the hooks; True when they were made."""
    base = getattr(wsgi_module, "Response", None)
    original_date = getattr(util_module, "http_date", None)
    if base is None or original_date is None or not hasattr(base, "_emit_body"):
        return False
    if getattr(base, "_azmlinfsrv_coalescing", False):
        return True  # already made in this process
    response = coalescing_response(base, util_module.write)
    response._azmlinfsrv_coalescing = True
    wsgi_module.Response = response
    util_module.http_date = DateCache(original_date)
    return True
