"""AZMLINFSRV_WATCHDOG_FD, the harness's lifeline: when every write end of the pipe is closed (the harness
died), the server kills its whole process group, a worker stuck in a request included. Real processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from support import HOST, SCRIPTS_DIR, free_port, health_status, poll_until
from support.server import server_env

from scorecheck.serverproc.process import group_alive

WATCHDOG_ENV = "AZMLINFSRV_WATCHDOG_FD"
FASTML = Path(sys.executable).with_name("fastml")


def _azmlinfsrv(port: int, runner: str) -> Tuple[List[str], str]:
    argv = [sys.executable, "-m", "azmlinfsrv", "--entry_script", str(SCRIPTS_DIR / "sleep.py")]
    argv += ["--port", str(port), "--host", HOST, "--server", runner]
    return argv, "/score"


def _fastml(port: int, tmp_path: Path) -> Tuple[List[str], str]:
    service = Path(shutil.copytree(SCRIPTS_DIR / "fastml" / "slow", tmp_path / "slow"))
    return [str(FASTML), "server", "--service-path", str(service), "--port", str(port)], "/infer"


@pytest.fixture
def pipe() -> Iterator[Tuple[int, int]]:
    read, write = os.pipe()
    yield read, write
    for fd in (read, write):
        with contextlib.suppress(OSError):  # closed by the test
            os.close(fd)


def _hang(port: int, path: str) -> socket.socket:
    """Send a request that keeps a worker busy for ten minutes; the socket stays open, unread."""
    sock = socket.create_connection((HOST, port), timeout=5)
    body = b"600"
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body)
    return sock


@pytest.mark.parametrize("server", ["gunicorn", "waitress", "fastml"])
def test_the_server_group_ends_when_the_harness_pipe_closes(
    tmp_path: Path, pipe: Tuple[int, int], server: str
) -> None:
    read, write = pipe
    port = free_port()
    argv, path = _fastml(port, tmp_path) if server == "fastml" else _azmlinfsrv(port, server)
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=server_env({WATCHDOG_ENV: str(read)}),
        pass_fds=(read,),
        start_new_session=True,
    )
    os.close(read)
    busy = None
    try:
        # Any answer means it listens (fastml answers 404 on /).
        assert poll_until(lambda: health_status(port) is not None or proc.poll() is not None, 30.0)
        assert proc.poll() is None, f"{server} exited with {proc.returncode}"
        busy = _hang(port, path)
        # Still serving while the harness lives: the pipe is open, nothing has been written to it.
        assert poll_until(lambda: health_status(port) is not None, 5.0)
        os.close(write)
        assert poll_until(lambda: not group_alive(proc.pid), 10.0), "the server group outlived the pipe"
        proc.wait(timeout=5)
    finally:
        if busy is not None:
            busy.close()
        if proc.poll() is None or group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_without_the_variable_nothing_watches(tmp_path: Path) -> None:
    from azmlinfsrv.watchdog import watchdog_fd

    assert watchdog_fd({}) is None
    assert watchdog_fd({WATCHDOG_ENV: "7"}) == 7
    assert watchdog_fd({WATCHDOG_ENV: "seven"}) is None
