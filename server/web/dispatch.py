"""The dispatcher: the fast path or Flask, for each request (the layer inside the headers middleware)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional, Protocol

StartResponse = Callable[..., Any]
WSGIApp = Callable[[Dict[str, Any], StartResponse], Iterable[bytes]]
FAST_PATH = "/score"


class FastPath(Protocol):
    """A WSGI app that answers some requests for `FAST_PATH` itself (see fast_score.py)."""

    def accepts(self, environ: Dict[str, Any]) -> bool: ...

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]: ...


class Dispatcher:
    """Sends a request to the fast path when there is one and it accepts the request, else to Flask.

    It runs after the headers middleware, so the path is already merged (`//score` is `/score`) and the request ids
    are resolved; both apps answer the same request with the same response (tests/server/test_fast_score.py).
    """

    def __init__(self, flask_app: WSGIApp, fast: Optional[FastPath]) -> None:
        self._flask = flask_app
        self._fast = fast

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        fast = self._fast
        if fast is not None and environ.get("PATH_INFO") == FAST_PATH and fast.accepts(environ):
            return fast(environ, start_response)
        return self._flask(environ, start_response)
