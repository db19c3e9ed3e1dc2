"""Logs cannot be forged: request text with CR, LF and NUL (a `%0a` in a path) is escaped in every log.

Real servers (azmlinfsrv on gunicorn and on waitress with --log-dir, and `fastml server`) get a request whose
path decodes to a line break followed by a fake log record, a CR and a NUL byte. Every output (the console, the
three log files) must hold the request's text escaped on one line, and no forged line, no raw CR or NUL.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import HOST, SCRIPTS_DIR, RunningServer, poll_until, start_server

from .fastml_launcher import copy_service, start_fastml

pytestmark = pytest.mark.slow

FAKE_RECORD = "2026-01-01 00:00:00,000 E [1] azmlinfsrv - FORGED"
# The path segment as sent: percent-encoded, so the server decodes it into a line break, a CR and a NUL.
FORGING_SEGMENT = "x%0a" + FAKE_RECORD.replace(" ", "%20") + "%0d%00"
# What every log must show instead: the same text on one line, its control characters visible.
ESCAPED = "x\\n" + FAKE_RECORD + "\\r\\x00"
LOG_FILES = ("access.log", "error-access.log", "app.log")


def _send(port: int, target: str) -> bytes:
    """One request written byte for byte (an HTTP client library would refuse or re-encode the target)."""
    with socket.create_connection((HOST, port), timeout=30) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("ascii"))
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _assert_not_forged(name: str, text: str, escaped_expected: bool) -> None:
    lines = text.split("\n")
    forged = [line for line in lines if line.startswith(FAKE_RECORD) or line.startswith("FORGED")]
    assert not forged, f"{name} holds a forged line: {forged}"
    assert "\x00" not in text, f"{name} holds a raw NUL byte"
    assert "\r" not in text, f"{name} holds a raw CR"
    if escaped_expected:
        assert ESCAPED in text, f"{name} lacks the escaped request text:\n{text[-3000:]}"


def _wait_for_files(folder: Path, last_target: str) -> None:
    """Until the warnings (escaped text) and the last request's access line (written after its answer) are in."""
    wanted = {"access.log": last_target, "error-access.log": ESCAPED, "app.log": ESCAPED}

    def written() -> bool:
        files = {name: folder / name for name in LOG_FILES}
        return all(p.exists() and wanted[n] in p.read_text(errors="replace") for n, p in files.items())

    assert poll_until(written, timeout=20), {n: (folder / n).exists() for n in LOG_FILES}


@pytest.fixture(params=["gunicorn", "waitress"])
def azmlinfsrv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    log_dir = tmp_path / "logs"
    args = ("--server", request.param, "--log-dir", str(log_dir))
    with start_server(SCRIPTS_DIR / "echo.py", args=args, cwd=tmp_path) as server:
        yield server, log_dir


def test_azmlinfsrv_logs_escape_request_text(azmlinfsrv: tuple[RunningServer, Path]) -> None:
    server, log_dir = azmlinfsrv
    # The unified routes name an unknown endpoint, taken from the path, in a warning.
    for target in (f"/infer/{FORGING_SEGMENT}", f"/health/{FORGING_SEGMENT}", f"/score?q={FORGING_SEGMENT}"):
        assert _send(server.port, target).startswith(b"HTTP/1.1 "), target
    # The access line of the last request is written after its answer: wait for it in every file.
    _wait_for_files(log_dir, f"/score?q={FORGING_SEGMENT}")
    for name in LOG_FILES:
        text = (log_dir / name).read_text(errors="replace")
        _assert_not_forged(name, text, escaped_expected=name != "access.log")
    # The access log keeps the request line as sent (percent-encoded), so it never held a line break.
    assert FORGING_SEGMENT in (log_dir / "access.log").read_text()
    assert poll_until(lambda: ESCAPED in server.logs(), timeout=20)
    _assert_not_forged("the console", server.logs(), escaped_expected=True)


def test_fastml_logs_escape_request_text(tmp_path: Path) -> None:
    service = copy_service("echo", tmp_path)
    with start_fastml(service) as server:
        answer = _send(server.port, f"/infer/{FORGING_SEGMENT}")
        assert answer.startswith(b"HTTP/1.1 405"), answer[:200]  # GET on /infer: the warning names the path
        _wait_for_files(service / "logs", f"/infer/{FORGING_SEGMENT}")
        for name in LOG_FILES:
            text = (service / "logs" / name).read_text(errors="replace")
            _assert_not_forged(name, text, escaped_expected=name != "access.log")
        assert poll_until(lambda: ESCAPED in server.logs(), timeout=20)
        _assert_not_forged("the console", server.logs(), escaped_expected=True)
