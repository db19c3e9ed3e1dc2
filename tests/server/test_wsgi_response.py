"""A response from run() written directly (azmlinfsrv.web.wsgi_response) is byte for byte what werkzeug's
`Response.__call__` sends: status line, header list in order, body, and close callbacks run; every response the
shortcut cannot prove identical goes through werkzeug itself, which a spy on `Response.__call__` shows.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Tuple
from unittest import mock

import flask
import pytest
from azmlinfsrv.compat.aml_response import AMLResponse
from azmlinfsrv.web.wsgi_response import send_response
from support.parity import environ
from werkzeug.wrappers import Response as WerkzeugResponse

CLOSED: List[str] = []


class _Subclass(AMLResponse):
    def get_wsgi_headers(self, environ: Dict[str, Any]) -> Any:
        headers = super().get_wsgi_headers(environ)
        headers.add("X-Subclass", "1")
        return headers


def _shaped(made: WerkzeugResponse, **attributes: Any) -> WerkzeugResponse:
    for name, value in attributes.items():
        setattr(made, name, value)
    return made


def _without_length() -> WerkzeugResponse:
    response = AMLResponse("ab", 200)
    response.response = [b"a", b"b"]
    del response.headers["Content-Length"]
    return response


def _with_close() -> WerkzeugResponse:
    response = AMLResponse("closing", 200)
    response.call_on_close(lambda: CLOSED.append("closed"))
    return response


def _cookie() -> WerkzeugResponse:
    response = AMLResponse("with cookie", 200, {"X-Multi": "a, b"})
    response.set_cookie("session", "abc", httponly=True, samesite="Lax")
    return response


def _stream() -> Iterator[Any]:
    yield b"part one, "
    yield "part two"


DIRECT: Dict[str, Callable[[], WerkzeugResponse]] = {
    "json": lambda: AMLResponse({"k": [1, 2]}, 200, {"X-Model": "m"}, json_str=True),
    "none": lambda: AMLResponse(None, 201),
    "bytes": lambda: AMLResponse(b"\x89PNG\r\n", 200, {"Content-Type": "image/png"}),
    "text-charset": lambda: AMLResponse("<p>\u00e9t\u00e9</p>", 200, {"Content-Type": "text/html"}),
    "flask": lambda: flask.Response("plain flask", 500, mimetype="text/plain"),
    "werkzeug": lambda: WerkzeugResponse("plain werkzeug", 418),
    "cookie": _cookie,
    "empty": lambda: AMLResponse("", 200),
    "status-text": lambda: _shaped(AMLResponse("x", 200), status="299 Custom Reason"),
}
FALLBACK: Dict[str, Callable[[], WerkzeugResponse]] = {
    "location": lambda: AMLResponse("moved", 302, {"Location": "/elsewhere?q=\u00e9"}),
    "content-location": lambda: AMLResponse("here", 200, {"Content-Location": "/h\u00e4r"}),
    "no-content": lambda: AMLResponse(None, 204),
    "not-modified": lambda: AMLResponse("x", 304, {"ETag": "abc"}),
    "informational": lambda: AMLResponse("x", 199),
    "stream": lambda: AMLResponse(_stream(), 200),
    "tuple-body": lambda: _shaped(AMLResponse("x", 200), response=(b"t",)),
    "text-chunks": lambda: _shaped(AMLResponse("x", 200), response=["text \u00e9"]),
    "passthrough": lambda: _shaped(AMLResponse(b"raw", 200), direct_passthrough=True),
    "on-close": _with_close,
    "no-length": _without_length,
    "subclass": lambda: _Subclass("sub", 200),
}


def _sent(response: WerkzeugResponse, env: Dict[str, Any], send: Any) -> Tuple[str, List[Any], bytes]:
    seen: Dict[str, Any] = {}

    def start_response(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, list(headers)

    chunks = send(response, env, start_response)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return seen["status"], seen["headers"], body


def _compare(make: Callable[[], WerkzeugResponse], method: str = "POST") -> int:
    """Sends one response each way; returns how often werkzeug's own `__call__` answered for the shortcut."""
    CLOSED.clear()
    expected = _sent(make(), environ(b"", REQUEST_METHOD=method), lambda r, e, s: r(e, s))
    closed_expected = list(CLOSED)
    CLOSED.clear()
    with mock.patch.object(
        WerkzeugResponse, "__call__", autospec=True, side_effect=WerkzeugResponse.__call__
    ) as spy:
        got = _sent(make(), environ(b"", REQUEST_METHOD=method), send_response)
    assert got == expected
    assert list(CLOSED) == closed_expected
    return spy.call_count


@pytest.mark.parametrize("name", list(DIRECT))
def test_plain_responses_are_written_directly_and_identically(name: str) -> None:
    assert _compare(DIRECT[name]) == 0


@pytest.mark.parametrize("name", list(FALLBACK))
def test_other_responses_go_through_werkzeug(name: str) -> None:
    assert _compare(FALLBACK[name]) == 1


@pytest.mark.parametrize("name", ["json", "bytes", "cookie"])
def test_head_goes_through_werkzeug(name: str) -> None:
    assert _compare(DIRECT[name], method="HEAD") == 1


def test_on_close_callback_runs_once() -> None:
    _compare(_with_close)
    assert CLOSED == ["closed"]
