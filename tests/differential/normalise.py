"""What of a response or a log is compared: values that differ on every run (ids, dates, timings, ports, pids)
are replaced by placeholders first, so the two servers' answers can be compared for equality."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from support import RawResponse

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# Transport headers each HTTP layer sets its own way (gunicorn's Date/Server; keep-alive is optional).
TRANSPORT_HEADERS = frozenset({"date", "server", "connection", "keep-alive"})
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ([DIWEC]) \[(\d+)\] ([\w.]+) - (.*)$")


@dataclass(frozen=True)
class Answer:
    """A normalised response: status, (lower-case name, value) header lines sorted by name, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def without(self, name: str) -> Answer:
        return replace(self, headers=tuple(h for h in self.headers if h[0] != name))

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def show(self) -> str:
        lines = [str(self.status), *(f"{k}: {v}" for k, v in self.headers), repr(self.body[:600])]
        return "\n  ".join(lines)


def _body(body: bytes, ports: Iterable[int]) -> bytes:
    for port in ports:
        body = body.replace(b":%d" % port, b":<port>")
    return UUID.sub(b"<uuid>", body)


def _header(name: str, value: str, body_length: int) -> str:
    if name == "x-ms-run-fn-exec-ms":
        return "<ms>" if re.fullmatch(r"\d+\.\d{3}", value) else f"<bad ms {value}>"
    if name == "content-length" and value == str(body_length):
        return "<body length>"
    if name == "allow":  # Werkzeug builds it from a set: the order is arbitrary
        return ", ".join(sorted(part.strip() for part in value.split(",")))
    return UUID.sub(b"<uuid>", value.encode("latin-1")).decode("latin-1")


def normalise(response: RawResponse, ports: Iterable[int]) -> Answer:
    """`response` with run-specific values replaced; `ports` are the two servers' ports (echoed Host headers)."""
    lines = [
        (name.lower(), _header(name.lower(), value, len(response.body)))
        for name, value in response.headers
        if name.lower() not in TRANSPORT_HEADERS
    ]
    # Python's sort is stable: header order across names is free, the order of repeated lines is kept.
    lines.sort(key=lambda line: line[0])
    return Answer(response.status, tuple(lines), _body(response.body, ports))


@dataclass(frozen=True)
class LogRecord:
    """One server log record's first line: level letter, logger name and the message with run values masked."""

    level: str
    logger: str
    message: str


def _mask(message: str, pids: Iterable[str]) -> str:
    message = re.sub(r"\b\d+\.\d{3}ms\b", "<ms>ms", message)
    for pid in pids:
        # Only where a message names a process ("Worker with pid 123 ready", "Worker 123 loaded"): after the pids
        # wrap around, a pid can equal another number in a message, such as a request line's content length.
        message = re.sub(rf"\b(pid:? |Worker ){pid}\b", r"\1<pid>", message)
    return UUID.sub(b"<uuid>", message.encode()).decode()


def log_records(text: str, prefix: str = "azmlinfsrv") -> list[LogRecord]:
    """Records of loggers named `prefix` or below, in order, with timings, pids and ids masked."""
    matches = [LOG_LINE.match(line) for line in text.splitlines()]
    found = [m for m in matches if m is not None]
    pids = sorted({m.group(2) for m in found}, key=len, reverse=True)
    return [
        LogRecord(m.group(1), m.group(3), _mask(m.group(4), pids))
        for m in found
        if m.group(3) == prefix or m.group(3).startswith(prefix + ".")
    ]
