"""Run `azmlinfsrv` as a child process: free port, own process group, readiness, logs, and kill.

The server runs in a new session so that its whole group (gunicorn master and workers alike) can be
signalled at once, and so that a Ctrl-C aimed at scorecheck never reaches it: scorecheck decides when it
stops. If scorecheck dies without stopping it, the server ends itself (lifeline.py). Nothing here prints or
exits; failures are exceptions carrying the boot log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type

import requests

from .lifeline import WATCHDOG_ENV, Lifeline, spawn
from .secrets import Redactor

READY_PATH = "/"
ABORT_GRACE_S = 0.5
GROUP_GONE_S = 2.0
SERVER_VERSION_HEADER = "x-ms-server-version"


class ServerStartError(Exception):
    """The server exited or never answered before the deadline. `log` holds everything it printed."""

    def __init__(self, message: str, log: str, exit_code: Optional[int]) -> None:
        super().__init__(message)
        self.message = message
        self.log = log
        self.exit_code = exit_code


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago; the server binds it right after (a small race we accept)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def default_command() -> Tuple[str, ...]:
    """`azmlinfsrv` from this interpreter's environment first, so a venv's server wins over PATH."""
    beside = Path(sys.executable).with_name("azmlinfsrv")
    if beside.exists():
        return (str(beside),)
    found = shutil.which("azmlinfsrv")
    return (found,) if found else (sys.executable, "-m", "azmlinfsrv")


class _LogBuffer:
    """Lines from stdout and stderr in arrival order, with per-request windows marked by request id."""

    def __init__(self, redact: Optional[Callable[[str], str]] = None) -> None:
        self._redact = redact
        self._lock = threading.Lock()
        self._lines: List[str] = []
        self._marks: Dict[str, int] = {}
        self._mark_order: List[int] = []

    def append(self, line: str) -> None:
        if self._redact is not None:
            line = self._redact(line)
        with self._lock:
            self._lines.append(line)

    def snapshot(self) -> Tuple[str, ...]:
        with self._lock:
            return tuple(self._lines)

    def mark(self, request_id: str) -> None:
        with self._lock:
            self._marks[request_id] = len(self._lines)
            self._mark_order.append(len(self._lines))

    def lines_for(self, request_id: str) -> Tuple[str, ...]:
        """Lines logged between this request's mark and the next one, plus any other line naming the id.

        The server's lines do not all carry the id, but scorecheck sends one request at a time, so the
        window between two marks belongs to one request.
        """
        with self._lock:
            start = self._marks.get(request_id)
            if start is None:
                return tuple(line for line in self._lines if request_id in line)
            later = [m for m in self._mark_order if m > start]
            end = later[0] if later else len(self._lines)
            return tuple(
                line for index, line in enumerate(self._lines) if start <= index < end or request_id in line
            )


def _pump(stream: IO[bytes], buffer: _LogBuffer) -> None:
    for raw in iter(stream.readline, b""):
        # backslashreplace keeps undecodable bytes visible as evidence instead of dropping them.
        buffer.append(raw.decode("utf-8", errors="backslashreplace").rstrip("\r\n"))
    stream.close()


class ServerProcess:
    """One `azmlinfsrv` child. Use as a context manager: entering starts it, leaving kills its whole group."""

    def __init__(
        self,
        entry_script: str,
        *,
        model_dir: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        port: Optional[int] = None,
        command: Optional[Sequence[str]] = None,
        stop_grace_s: float = 5.0,
        redactor: Optional[Redactor] = None,
    ) -> None:
        self.entry_script = entry_script
        self.model_dir = model_dir
        self.env = dict(env or {})
        self.extra_args = tuple(extra_args)
        self.host = host
        self.port = port or free_port(host)
        self.command = tuple(command) if command else default_command()
        self.stop_grace_s = stop_grace_s
        # A script may log a credential it was sent: the lines are kept redacted.
        self._buffer = _LogBuffer(redactor.text if redactor is not None else None)
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._pumps: List[threading.Thread] = []
        self._lifeline = Lifeline()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def argv(self) -> Tuple[str, ...]:
        args = [*self.command, "--entry_script", self.entry_script, "--port", str(self.port)]
        args += ["--host", self.host]
        if self.model_dir is not None:
            args += ["--model_dir", self.model_dir]
        return (*args, *self.extra_args)

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        """Start the server; it cannot outlive this process (lifeline.py), however this process ends."""
        # Unbuffered output so that log lines arrive while their request is still the current one.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        env.pop(WATCHDOG_ENV, None)  # only our own pipe may be named
        lifeline = self._lifeline = Lifeline()
        env.update(lifeline.env)

        def popen() -> subprocess.Popen[bytes]:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
                pass_fds=lifeline.pass_fds,
                # The child only calls prctl (looked up before the fork), getppid and kill: no lock that
                # another thread of ours could have held at the fork is touched.
                preexec_fn=lifeline.preexec(),  # noqa: PLW1509
            )
            return self._proc

        try:
            proc = spawn(popen)
        finally:
            lifeline.started()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            thread = threading.Thread(target=_pump, args=(stream, self._buffer), daemon=True)
            thread.start()
            self._pumps.append(thread)

    def wait_ready(self, deadline: float) -> str:
        """Poll until `GET /` answers 200; return the server's version header (or "").

        `deadline` is a `time.monotonic()` value. Raises ServerStartError when the process exits first
        or the deadline passes.
        """
        delay = 0.02
        with requests.Session() as session:
            while True:
                version = self._probe(session)
                if version is not None:
                    return version
                if not self.alive:
                    self._drain_output()
                    code = self.exit_code
                    message = f"the server exited with code {code} before it was ready"
                    raise ServerStartError(message, self.logs, code)
                if time.monotonic() >= deadline:
                    message = "the server was not ready before the start-up timeout"
                    raise ServerStartError(message, self.logs, None)
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.25)

    def _probe(self, session: requests.Session) -> Optional[str]:
        try:
            response = session.get(self.base_url + READY_PATH, timeout=2.0)
        except requests.RequestException:
            return None
        return response.headers.get(SERVER_VERSION_HEADER, "") if response.status_code == 200 else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def exit_code(self) -> Optional[int]:
        return None if self._proc is None else self._proc.poll()

    def wait_exit(self, timeout: float) -> Optional[int]:
        """The exit code if the process ends within `timeout` seconds, else None."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def logs(self) -> str:
        return "\n".join(self._buffer.snapshot())

    @property
    def log_lines(self) -> Tuple[str, ...]:
        return self._buffer.snapshot()

    def begin_request(self, request_id: str) -> None:
        self._buffer.mark(request_id)

    def lines_for(self, request_id: str) -> Tuple[str, ...]:
        return self._buffer.lines_for(request_id)

    def stop(self, grace_s: Optional[float] = None) -> None:
        """Terminate the whole process group, give it `grace_s` to exit, then kill whatever is left.

        Returns once the group is gone (bounded); safe to call twice.
        """
        proc = self._proc
        if proc is None:
            self._lifeline.release()
            return
        grace = self.stop_grace_s if grace_s is None else grace_s
        try:
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=grace)
        finally:
            # Always sweep the group: workers can outlive their master, and a second Ctrl-C may have
            # cut the graceful wait short.
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
            _wait_group_gone(proc.pid, GROUP_GONE_S)
            self._lifeline.release()
            self._drain_output()

    def _drain_output(self) -> None:
        # The pipes close once every process holding them is gone; wait briefly so the last lines land.
        for thread in self._pumps:
            thread.join(timeout=1.0)

    def __enter__(self) -> ServerProcess:
        try:
            self.start()
        except BaseException:  # Ctrl-C while starting: what was started is stopped
            self.stop(ABORT_GRACE_S)
            raise
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        # Leaving on an exception (Ctrl-C, a closed run) needs a prompt exit more than a graceful one.
        self.stop(ABORT_GRACE_S if exc_type is not None else None)


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is in group `pgid`.

    Killed workers are reparented to init and linger as zombies until it reaps them, which some
    container inits do lazily; a zombie runs nothing, so it does not count.
    """
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: fall back to "the group id still exists"
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # Fields after the parenthesised command name: state, ppid, pgrp, ...
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _wait_group_gone(pgid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    # ProcessLookupError: the group is already gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
