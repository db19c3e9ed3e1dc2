"""The client's transport against requests itself: the same bytes on the wire, the same observations and errors.

A small recording server on 127.0.0.1 keeps every request's raw bytes and answers by path: JSON with a repeated
header, a gzip body, a redirect, a cookie, an answer held back past the client's timeout, a dropped connection.
Every request spec goes through a `Client` on `SessionTransport` (requests' `Session.request`, what the client
used before) and through one on the default `DirectTransport`; what arrived and what was observed must match.
"""

from __future__ import annotations

import gzip
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest

from scorecheck.model import FilePart, RequestSpec
from scorecheck.serverproc.client import Client, RequestError
from scorecheck.serverproc.process import free_port
from scorecheck.serverproc.transport import DirectTransport, SessionTransport, Transport

HOLD_S = 10.0  # how long the server holds back a /slow answer at most; the test releases it sooner
JSON_BODY = b'{"ok": true, "text": "caf\\u00e9"}'


def _answer(status: str, headers: List[Tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


ANSWERS = {
    "/gzip": _answer(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        gzip.compress(JSON_BODY),
    ),
    "/redirect": _answer(
        "302 FOUND", [("Location", "/elsewhere?x=1"), ("Content-Type", "text/plain")], b"moved"
    ),
    # requests cannot parse where this one points, and says so with an exception of its own.
    "/bad-redirect": _answer("302 FOUND", [("Location", "http://[::1/x")], b"moved"),
    "/cookie": _answer(
        "200 OK", [("Set-Cookie", "affinity=abc123; Path=/"), ("Content-Type", "text/plain")], b"ok"
    ),
}
DEFAULT = _answer("200 OK", [("Content-Type", "application/json"), ("X-Dup", "1"), ("X-Dup", "2")], JSON_BODY)


@dataclass
class Recorder:
    requests: List[bytes] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _read_request(sock: socket.socket) -> Tuple[bytes, str]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, ""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = re.findall(rb"(?im)^content-length:\s*(\d+)", head)
    while lengths and len(body) < int(lengths[0]):
        body += sock.recv(65536)
    path = head.split(b" ", 2)[1].decode("latin-1").split("?", 1)[0]
    return head + b"\r\n\r\n" + body, path


def _handler(recorder: Recorder) -> type:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            raw, path = _read_request(self.request)
            recorder.requests.append(raw)
            if path == "/drop":
                return  # closed without an answer
            if path == "/slow":
                recorder.release.wait(HOLD_S)
            self.request.sendall(ANSWERS.get(path, DEFAULT))

    return Handler


@pytest.fixture(scope="module")
def recorder() -> Iterator[Tuple[Recorder, str]]:
    record = Recorder()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(record))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        record.release.set()
        server.shutdown()
        server.server_close()
        thread.join(HOLD_S)


JSON_HEADERS = (("Content-Type", "application/json"),)
SPECS: List[RequestSpec] = [
    RequestSpec(body=b'{"data": [1, 2.5]}', body_source="json"),
    RequestSpec(body="héllo wörld\n".encode(), headers=(("Content-Type", "text/plain; charset=utf-8"),)),
    RequestSpec(body=b"\x89PNG\r\n\x1a\n\x00\xff", headers=(("Content-Type", "application/octet-stream"),)),
    RequestSpec(body=b"", headers=JSON_HEADERS),
    RequestSpec(method="GET", path="/", body=None),
    RequestSpec(method="get", path="/swagger.json", query=(("version", "3"),)),
    RequestSpec(
        path="/score?x=1", query=(("q", "a b"), ("é", "ü&="), ("q", "2")), body=b"{}", headers=JSON_HEADERS
    ),
    RequestSpec(
        body=b"{}",
        headers=(
            ("Content-Type", "application/json"),
            ("user-agent", "my-client/1.0"),
            ("Accept", "application/json"),
            ("X-Custom", "one"),
            ("x-custom", "two"),
            ("Authorization", "Bearer fixture-secret"),
        ),
    ),
    RequestSpec(form=(("name", "value with spaces"), ("n", "ü")), body_source="form"),
    RequestSpec(
        form=(("note", "hi"),),
        files=(
            FilePart("image", "cat.png", b"\x89PNG\x00\x01", "image/png"),
            FilePart("text", "a.txt", b"abc"),
        ),
        body_source="form",
    ),
    RequestSpec(path="/gzip", body=b"{}", headers=JSON_HEADERS),
    RequestSpec(path="/redirect", body=b'{"a": 1}', headers=JSON_HEADERS),
    RequestSpec(path="/bad-redirect", body=b'{"a": 1}', headers=JSON_HEADERS),
    RequestSpec(path="/score/", method="DELETE", body=None),
    RequestSpec(path="/drop", body=b'{"a": 1}', headers=JSON_HEADERS),
    RequestSpec(path="/slow", body=b'{"a": 1}', headers=JSON_HEADERS),
    RequestSpec(body=b'{"data": [3]}', body_source="json"),  # the same shape as the first, another body
    # Last: from here on the session holds a cookie, and requests sends every request.
    RequestSpec(path="/cookie", body=b"{}", headers=JSON_HEADERS),
    RequestSpec(path="/after-cookie", body=b'{"after": "cookie"}', headers=JSON_HEADERS),
]
# Through urllib3 directly: all but the form bodies (requests encodes them) and the one after the cookie.
DIRECT = len(SPECS) - 3


def _normalised(text: bytes) -> bytes:
    """Request ids and multipart boundaries are random per request; everything else must be equal."""
    text = re.sub(rb"sc-[0-9a-f-]{36}", b"sc-ID", text)
    for boundary in set(re.findall(rb"boundary=([0-9a-f]+)", text)):
        text = text.replace(boundary, b"BOUNDARY")
    return text


def _outcome(client: Client, spec: RequestSpec) -> Tuple[object, ...]:
    try:
        obs = client.send(spec)
    except RequestError as err:
        return ("error", err.kind, re.sub(r"0x[0-9a-f]+", "0xADDR", err.message))
    except ValueError as err:  # not an HTTP failure: requests raises it as it is, and so must the transport
        return ("raised", type(err).__name__, str(err))
    return ("answer", obs.status, obs.headers, obs.body)


def _exchanges(
    base_url: str, record: Recorder, make: Callable[[], Transport]
) -> List[Tuple[Optional[bytes], Tuple[object, ...]]]:
    found = []
    extra = (("X-Api-Key", "cli-secret"),)
    with Client(base_url, timeout_s=0.5, headers=extra, transport=make()) as client:
        for spec in SPECS:
            before = len(record.requests)
            outcome = _outcome(client, spec)
            arrived = record.requests[before] if len(record.requests) > before else None
            found.append((_normalised(arrived) if arrived is not None else None, outcome))
    return found


def test_direct_transport_sends_and_observes_what_requests_does(
    recorder: Tuple[Recorder, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    record, base_url = recorder
    reference = _exchanges(base_url, record, SessionTransport)
    direct_sends: List[str] = []
    send_direct = DirectTransport._direct

    def spy(self: DirectTransport, template: Any, *args: Any) -> Any:
        direct_sends.append(template.path)
        return send_direct(self, template, *args)

    monkeypatch.setattr(DirectTransport, "_direct", spy)
    direct = _exchanges(base_url, record, DirectTransport)
    assert len(direct_sends) == DIRECT, direct_sends
    for spec, (sent, seen), (sent_direct, seen_direct) in zip(SPECS, reference, direct):
        assert sent_direct == sent, spec
        assert seen_direct == seen, spec
    # The cases are what they claim to be.
    outcomes = dict(zip((s.path for s in SPECS), (seen for _, seen in reference)))
    assert outcomes["/slow"][:2] == ("error", "Timeout")
    assert outcomes["/drop"][:2] == ("error", "ConnectionError")
    assert outcomes["/redirect"][1] == 302
    assert outcomes["/bad-redirect"][0] == "raised"
    assert outcomes["/gzip"][3] == JSON_BODY
    headers = outcomes["/score"][2]
    assert isinstance(headers, tuple)
    assert ("X-Dup", "1") in headers
    assert ("X-Dup", "2") in headers
    assert b"Cookie: affinity=abc123" in (reference[-1][0] or b"")


def test_a_refused_connection_is_the_same_error() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    outcomes = []
    for make in (SessionTransport, DirectTransport):
        with Client(nobody, timeout_s=2, transport=make()) as client:
            outcomes.append(_outcome(client, SPECS[0]))
    assert outcomes[0][:2] == ("error", "ConnectionError")
    assert outcomes[1] == outcomes[0]
