"""server/runners/wire.py: the Date header made once a second, and head and body sent together, byte for byte as
gunicorn sends them (each case runs through gunicorn's own Response and through ours, and the bytes compare)."""

from __future__ import annotations

import email.utils
import re
import sys
from typing import Any, Iterable, List, Tuple

import pytest
from azmlinfsrv.runners import wire

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn does not run on Windows")

if sys.platform != "win32":
    from gunicorn import util as gunicorn_util
    from gunicorn.config import Config
    from gunicorn.http import wsgi as gunicorn_wsgi
    from gunicorn.http.message import Request
    from gunicorn.http.unreader import IterUnreader

DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")


class RecordingSocket:
    """What gunicorn sends, call by call."""

    def __init__(self) -> None:
        self.sends: List[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sends.append(bytes(data))

    def send(self, data: bytes) -> int:
        self.sends.append(bytes(data))
        return len(data)

    @property
    def data(self) -> bytes:
        return DATE.sub(b"\r\nDate: -\r\n", b"".join(self.sends))


def _exchange(
    response_class: Any, head: bytes, status: str, headers: List[Tuple[str, str]], body: Iterable[bytes]
) -> RecordingSocket:
    cfg = Config()
    request = Request(cfg, IterUnreader([head]), ("127.0.0.1", 40000))
    sock = RecordingSocket()
    response, _ = gunicorn_wsgi.create(
        request, sock, ("127.0.0.1", 40000), ("127.0.0.1", 8000), cfg, response_class=response_class
    )
    response.start_response(status, headers)
    for chunk in body:
        response.write(chunk)
    response.close()
    return sock


POST = b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
HEAD = b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
GET10 = b"GET / HTTP/1.0\r\n\r\n"
JSON = [("Content-Type", "application/json")]
BIG = b"x" * (wire.COALESCE_MAX_BYTES + 1)

CASES = {
    "one small chunk": (POST, "200 OK", [*JSON, ("Content-Length", "7")], [b'{"a":1}'], 1),
    "several chunks": (POST, "200 OK", [("Content-Length", "6")], [b"ab", b"cd", b"ef"], 3),
    "HEAD": (HEAD, "200 OK", [("Content-Length", "5")], [b"hello"], 1),
    "204": (POST, "204 No Content", [], [b""], 1),
    "Content-Length 0": (POST, "200 OK", [("Content-Length", "0")], [b""], 1),
    "Content-Length 0, body sent anyway": (POST, "200 OK", [("Content-Length", "0")], [b"extra"], 1),
    "body longer than Content-Length": (POST, "200 OK", [("Content-Length", "3")], [b"abcdef", b"gh"], 1),
    "chunked": (POST, "200 OK", JSON, [b"ab", b"cd"], 4),
    "HTTP/1.0, no length": (GET10, "200 OK", JSON, [b"ab", b"cd"], 2),
    "empty first chunk": (POST, "200 OK", [("Content-Length", "2")], [b"", b"ab"], 3),
    "large body": (POST, "200 OK", [("Content-Length", str(len(BIG)))], [BIG], 2),
    "no body written": (POST, "500 INTERNAL SERVER ERROR", [("Content-Length", "0")], [], 1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_bytes_as_gunicorn(case: str) -> None:
    head, status, headers, body, our_sends = CASES[case]
    ours_class = wire.coalescing_response(gunicorn_wsgi.Response, gunicorn_util.write)
    theirs = _exchange(gunicorn_wsgi.Response, head, status, headers, body)
    ours = _exchange(ours_class, head, status, headers, body)
    assert ours.data == theirs.data
    assert len(ours.sends) == our_sends


def test_a_small_answer_leaves_in_one_send_instead_of_two() -> None:
    head, status, headers, body, _ = CASES["one small chunk"]
    theirs = _exchange(gunicorn_wsgi.Response, head, status, headers, body)
    ours = _exchange(
        wire.coalescing_response(gunicorn_wsgi.Response, gunicorn_util.write), *CASES["one small chunk"][:4]
    )
    assert len(theirs.sends) == 2
    assert len(ours.sends) == 1
    assert ours.sends[0].endswith(b'\r\n\r\n{"a":1}')


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.999998, 0.9999990, 0.9999994, 0.9999996, 0.9999999])
def test_the_date_cache_gives_formatdates_text(monkeypatch: pytest.MonkeyPatch, fraction: float) -> None:
    cache = wire.DateCache(gunicorn_util.http_date)
    for second in (1_700_000_000, 1_700_000_001, 1_767_225_599):
        now = second + fraction
        monkeypatch.setattr(wire.time, "time", lambda now=now: now)
        expected = email.utils.formatdate(now, localtime=False, usegmt=True)
        assert cache() == expected
        assert cache() == expected  # from the cache this time


def test_the_date_cache_formats_an_explicit_timestamp() -> None:
    cache = wire.DateCache(gunicorn_util.http_date)
    assert cache(0.0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_install_swaps_once_and_only_with_the_hooks() -> None:
    class Util:
        write = staticmethod(gunicorn_util.write)
        http_date = staticmethod(gunicorn_util.http_date)

    class Wsgi:
        Response = gunicorn_wsgi.Response

    assert wire.install(Util, Wsgi)
    swapped = Wsgi.Response
    assert issubclass(swapped, gunicorn_wsgi.Response)
    assert isinstance(Util.http_date, wire.DateCache)
    assert wire.install(Util, Wsgi)
    assert Wsgi.Response is swapped

    class OldResponse:  # gunicorn before 25: no _emit_body hook
        pass

    class OldWsgi:
        Response = OldResponse

    assert not wire.install(Util, OldWsgi)
    assert OldWsgi.Response is OldResponse
