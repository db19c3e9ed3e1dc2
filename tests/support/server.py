"""Run the real `azmlinfsrv` CLI as a process on a free loopback port, for HTTP-level tests.

Every process is started in its own session (process group) with stdout and stderr going to files, so nothing
blocks on a full pipe, and `stop()` ends the whole group. Waiting is always polling against a deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Optional, Union

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = REPO_ROOT / "tests" / "scripts"
# Expected swagger documents of the reference release (provenance: tests/data/README.md).
SWAGGER_DIR = REPO_ROOT / "tests" / "data" / "swagger"
POLL_INTERVAL = 0.05
STOP_GRACE = 10.0

# Variables the server reads: scrubbed from the inherited environment so every test starts from the defaults.
_SERVER_PREFIXES = ("AZUREML_", "AML_", "SERVICE_", "GUNICORN_")
_SERVER_NAMES = frozenset(
    {
        "SERVER_PORT",
        "HEALTH_PORT",
        "WORKER_COUNT",
        "WORKER_TIMEOUT",
        "WORKER_PRELOAD",
        "SCORING_TIMEOUT_MS",
        "SEPERATE_HEALTH_ENDPOINT",
        "SEPARATE_HEALTH_ENDPOINT",
        "SERVER_VERSION_LOG_RESPONSE_ENABLED",
        "APP_INSIGHTS_LOG_RESPONSE_ENABLED",
        "WORKSPACE_NAME",
        "TRANSPORT_PROTOCOL",
        "HTTP_X_MS_SERVER_VERSION",
    }
)

EnvOverrides = Mapping[str, Optional[str]]
LogPattern = Union[str, "re.Pattern[str]"]


class ServerStartError(AssertionError):
    """The server exited or did not become ready in time; the message carries its output."""


def free_port() -> int:
    """A port that was free a moment ago on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(overrides: EnvOverrides | None = None) -> dict[str, str]:
    """The inherited environment without server settings, plus `overrides` (a `None` value removes a name)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _SERVER_NAMES and not name.startswith(_SERVER_PREFIXES)
    }
    for name, value in (overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def server_args(script: Path | None, port: int, args: Iterable[str] = ()) -> list[str]:
    """CLI arguments for a server on `port` bound to the loopback interface.

    `AZMLINFSRV_TEST_RUNNER=waitress` (a test-side variable) runs every server that does not choose its
    runner with `--server <runner>`, to replay the whole suite against another HTTP runner.
    """
    entry = ["--entry_script", str(script)] if script is not None else []
    extra = list(args)
    runner = os.environ.get("AZMLINFSRV_TEST_RUNNER")
    if runner and "--server" not in extra:
        extra += ["--server", runner]
    return [*entry, "--port", str(port), "--host", HOST, *extra]


def _command(args: Iterable[str]) -> list[str]:
    return [sys.executable, "-m", "azmlinfsrv", *args]


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, SIGKILL it after `grace` seconds, then reap stragglers."""
    if proc.poll() is None:
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
    _kill_group(proc.pid, signal.SIGKILL)


def poll_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Call `condition` until it is true or `timeout` seconds have passed; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)


def health_status(port: int, timeout: float = 1.0) -> int | None:
    """Status of `GET /` on `port`, or None when nothing answers in time."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


@dataclass(frozen=True)
class RawResponse:
    """A response as it came off the wire: repeated header lines and their name case are kept."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def get_all(self, name: str) -> list[str]:
        """Values of every header line called `name` (case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


def raw_request(
    port: int,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30.0,
) -> RawResponse:
    """Send one request with http.client, which does not merge or normalise response headers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return RawResponse(response.status, response.getheaders(), response.read())
    finally:
        conn.close()


class RunningServer:
    """A started server process; use as a context manager or call `stop()` in a finalizer."""

    def __init__(
        self, proc: subprocess.Popen[bytes], port: int, log_dir: Path, files: list[IO[bytes]]
    ) -> None:
        self.proc = proc
        self.port = port
        self._log_dir = log_dir
        self._files = files
        self._final_logs: str | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def raw(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> RawResponse:
        """`raw_request` against this server."""
        return raw_request(self.port, method, path, headers=headers, body=body)

    def logs(self) -> str:
        """Everything the server wrote so far, stdout then stderr."""
        if self._final_logs is not None:
            return self._final_logs
        parts = [(self._log_dir / name).read_text(errors="replace") for name in ("stdout.log", "stderr.log")]
        return "\n".join(parts)

    def log_matches(self, pattern: LogPattern) -> list[str]:
        """Lines of the logs that contain `pattern` (a substring, or a compiled regex searched per line)."""
        lines = self.logs().splitlines()
        if isinstance(pattern, str):
            return [line for line in lines if pattern in line]
        return [line for line in lines if pattern.search(line)]

    def wait_for_log(self, pattern: LogPattern, timeout: float = 10.0, count: int = 1) -> list[str]:
        """Poll until at least `count` log lines match `pattern`; fail with the logs otherwise."""
        if poll_until(lambda: len(self.log_matches(pattern)) >= count, timeout):
            return self.log_matches(pattern)
        raise AssertionError(f"no log line matching {pattern!r} within {timeout}s; logs:\n{self.logs()}")

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit by itself and return its exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server still running after {timeout}s; logs:\n{self.logs()}") from None

    def wait_ready(self, timeout: float) -> None:
        """Poll `GET /` until it answers 200; fail if the process exits or the deadline passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(f"server exited with {self.proc.returncode}; logs:\n{self.logs()}")
            if health_status(self.port) == 200:
                return
            time.sleep(POLL_INTERVAL)
        raise ServerStartError(f"server not ready within {timeout}s; logs:\n{self.logs()}")

    def stop(self, grace: float = STOP_GRACE) -> None:
        """End the whole process group (idempotent) and keep the final logs in memory."""
        if self._final_logs is not None:
            return
        try:
            _stop_process(self.proc, grace)
        finally:
            for handle in self._files:
                handle.close()
            self._final_logs = self.logs()
            shutil.rmtree(self._log_dir, ignore_errors=True)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(
    script: Path | None,
    *,
    args: Iterable[str] = (),
    env: EnvOverrides | None = None,
    cwd: Path | None = None,
    ready: bool = True,
    timeout: float = 30.0,
    port: int | None = None,
) -> RunningServer:
    """Start `python -m azmlinfsrv` for `script` on a free port.

    With `ready`, wait until `GET /` answers 200 (a server that exits or stays unready fails the test).
    """
    port = port if port is not None else free_port()
    return start_command(
        _command(server_args(script, port, args)), port, env=env, cwd=cwd, ready=ready, timeout=timeout
    )


def start_command(
    argv: list[str],
    port: int,
    *,
    env: EnvOverrides | None = None,
    cwd: Path | None = None,
    ready: bool = True,
    timeout: float = 30.0,
) -> RunningServer:
    """Start any server command line `argv` that will listen on `port` (another server's CLI included).

    The process gets its own session and the scrubbed environment of `server_env(env)`; with `ready`, wait
    until `GET /` answers 200.
    """
    log_dir = Path(tempfile.mkdtemp(prefix="azmlinfsrv-test-"))
    stdout = (log_dir / "stdout.log").open("wb")
    stderr = (log_dir / "stderr.log").open("wb")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        env=server_env(env),
        start_new_session=True,
    )
    server = RunningServer(proc, port, log_dir, [stdout, stderr])
    if ready:
        try:
            server.wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
    return server


def run_to_exit(
    args: Iterable[str],
    env: EnvOverrides | None = None,
    cwd: Path | None = None,
    timeout: float = 30.0,
) -> tuple[int, str]:
    """Run the CLI with `args` until it exits; return its exit code and its combined stdout and stderr."""
    return run_command_to_exit(_command(args), env=env, cwd=cwd, timeout=timeout)


def run_command_to_exit(
    argv: list[str],
    env: EnvOverrides | None = None,
    cwd: Path | None = None,
    timeout: float = 30.0,
) -> tuple[int, str]:
    """Run any command line `argv` until it exits; return its exit code and its combined stdout and stderr."""
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=server_env(env),
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _stop_process(proc, STOP_GRACE)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if code is None:
        raise AssertionError(f"{argv} did not exit within {timeout}s; output:\n{text}")
    return code, text
