"""Run the real `fastml server` CLI as a process for HTTP-level tests (as support.server does for azmlinfsrv).

Each server gets its own copy of a sample service folder (its `logs/` is written there), a free loopback port
and its own process group; `RunningServer.stop()` ends the group. Waiting is polling against a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import requests
from support import HOST, SCRIPTS_DIR, RunningServer, ServerStartError, free_port, poll_until
from support.server import EnvOverrides, server_env

FASTML = Path(sys.executable).with_name("fastml")  # the console script installed beside this interpreter
SERVICES_DIR = SCRIPTS_DIR / "fastml"


def copy_service(name: str, parent: Path) -> Path:
    """A private copy of the sample service `name` under `parent`, without logs or caches."""
    return Path(
        shutil.copytree(
            SERVICES_DIR / name, parent / name, ignore=shutil.ignore_patterns("logs", "__pycache__")
        )
    )


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def start_fastml(
    service: Path,
    *,
    args: Iterable[str] = (),
    cwd: Path | None = None,
    timeout: float = 30.0,
    env: EnvOverrides | None = None,
) -> RunningServer:
    """`fastml server --service-path <service>` on a free port; returns once `GET /health` answers 200."""
    port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="fastml-test-"))
    stdout = (log_dir / "stdout.log").open("wb")
    stderr = (log_dir / "stderr.log").open("wb")
    command = [str(FASTML), "server", "--service-path", str(service), "--port", str(port), *args]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd or log_dir,
        env=server_env(env),
        start_new_session=True,
    )
    server = RunningServer(proc, port, log_dir, [stdout, stderr])
    try:
        if (
            not poll_until(lambda: proc.poll() is not None or _healthy(port), timeout)
            or proc.poll() is not None
        ):
            raise ServerStartError(
                f"fastml server not ready (exit code {proc.poll()}); logs:\n{server.logs()}"
            )
    except BaseException:
        server.stop()
        raise
    return server


def run_fastml(args: Iterable[str], cwd: Path | None = None, timeout: float = 30.0) -> tuple[int, str, str]:
    """Run `fastml <args>` until it exits; returns its exit code, stdout and stderr."""
    with tempfile.TemporaryDirectory() as scratch:
        proc = subprocess.Popen(
            [str(FASTML), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd or scratch,
            env=server_env(),
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"fastml {list(args)} did not exit within {timeout}s") from None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
