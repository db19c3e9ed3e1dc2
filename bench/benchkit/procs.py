"""Server processes: own process group, readiness polling with deadlines, cleanup on any exit."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_LIVE_GROUPS: set[int] = set()


class ServerStartError(RuntimeError):
    """The server exited or did not answer ``GET /`` with 200 before its deadline."""


@dataclass
class Server:
    """A launched server: its process (the group leader) and where it listens."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    launched_at: float

    @property
    def pid(self) -> int:
        return self.proc.pid


def free_port() -> int:
    """Ask the kernel for a free loopback port by binding to port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cmd: Sequence[str], cpu: int | None) -> list[str]:
    """Prefix ``cmd`` with ``taskset -c CPU`` (inherited by the whole process tree)."""
    return ["taskset", "-c", str(cpu), *cmd] if cpu is not None else list(cmd)


def launch(
    name: str, cmd: Sequence[str], port: int, log_path: Path, *, cwd: Path, env: dict[str, str]
) -> Server:
    """Start ``cmd`` in a new session (hence its own process group), output to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        launched_at = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    _LIVE_GROUPS.add(proc.pid)
    return Server(name, proc, port, log_path, launched_at)


def _get_status(port: int, path: str, timeout: float) -> int | None:
    """One ``GET`` to 127.0.0.1; the status code, or None when the server is not answering yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_ready(server: Server, deadline_s: float, interval_s: float = 0.005) -> float:
    """Poll ``GET /`` until 200; return seconds since launch. Raise if it exits or the deadline passes."""
    deadline = server.launched_at + deadline_s
    while True:
        now = time.perf_counter()
        if server.proc.poll() is not None:
            raise ServerStartError(f"{server.name} exited with {server.proc.returncode}: {log_tail(server)}")
        if now >= deadline:
            raise ServerStartError(f"{server.name} not ready after {deadline_s:.0f} s: {log_tail(server)}")
        if _get_status(server.port, "/", timeout=min(2.0, deadline - now)) == 200:
            return time.perf_counter() - server.launched_at
        time.sleep(interval_s)


def log_tail(server: Server, lines: int = 15) -> str:
    """The last lines of the server's log, for error messages."""
    try:
        text = server.log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n" + "\n".join(text.splitlines()[-lines:])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def kill_group(pgid: int, grace_s: float = 3.0) -> None:
    """SIGTERM the whole group, SIGKILL what is left after ``grace_s``, reap the leader."""
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while _group_alive(pgid) and time.monotonic() < deadline:
        _reap(pgid)
        time.sleep(0.02)
    if _group_alive(pgid):
        _signal_group(pgid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while _group_alive(pgid) and time.monotonic() < deadline:
            _reap(pgid)
            time.sleep(0.02)
    _reap(pgid)
    _LIVE_GROUPS.discard(pgid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(server: Server) -> None:
    """Kill the server's process group and wait for the leader."""
    kill_group(server.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.proc.wait(timeout=1.0)


def kill_all() -> None:
    """Kill every group still registered (used on error, Ctrl-C and exit)."""
    for pgid in list(_LIVE_GROUPS):
        kill_group(pgid, grace_s=1.0)


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def cleanup_on_exit() -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into KeyboardInterrupt; kill every launched group on the way out."""
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in sigs}
    try:
        yield
    finally:
        kill_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Context manager that always kills the server's group on exit."""
    try:
        yield server
    finally:
        stop(server)
