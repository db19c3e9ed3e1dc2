"""Our server and the reference package, started side by side for one entry script, and asked the same things."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from support import (
    RawResponse,
    RunningServer,
    ServerStartError,
    free_port,
    run_command_to_exit,
    run_to_exit,
    server_args,
)
from support import start_command as _start_command
from support import start_server as _start_ours

OURS, REFERENCE = "ours", "reference"
BOOT_TIMEOUT = 60.0
# Generous: a server killed before its graceful stop ends could lose its last log records, which the suite compares.
STOP_GRACE = 30.0


@dataclass(frozen=True)
class Launch:
    """How both servers are started: the same script, flags, environment and working directory."""

    script: Path
    args: tuple[str, ...] = ()
    env: Mapping[str, Optional[str]] = field(default_factory=dict)
    cwd: Optional[Path] = None


@dataclass(frozen=True)
class Reference:
    """The installed reference package: its `azmlinfsrv` command and a scratch folder for its sockets."""

    bindir: Path

    def argv(self, launch: Launch, port: int) -> list[str]:
        # The reference has no --host flag: it binds every interface; the tests only talk to 127.0.0.1.
        return [
            str(self.bindir / "azmlinfsrv"),
            "--entry_script",
            str(launch.script),
            "--port",
            str(port),
            *launch.args,
        ]

    def env(self, launch: Launch, runtime_dir: str) -> dict[str, Optional[str]]:
        # gunicorn >= 23 opens a control socket under XDG_RUNTIME_DIR (else ~/.gunicorn): one per server.
        return {**launch.env, "XDG_RUNTIME_DIR": runtime_dir}


@dataclass
class Pair:
    """Both running servers; `ask` sends one request to each."""

    ours: RunningServer
    reference: RunningServer

    def ask(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> tuple[RawResponse, RawResponse]:
        return self.ours.raw(method, path, headers, body), self.reference.raw(method, path, headers, body)

    def servers(self) -> dict[str, RunningServer]:
        return {OURS: self.ours, REFERENCE: self.reference}

    def stop(self) -> None:
        """Stop both at once (each waits for its graceful shutdown), keeping their final logs."""
        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(server.stop, STOP_GRACE) for server in (self.ours, self.reference)]:
                done.result()


def settle(server: RunningServer, timeout: float = BOOT_TIMEOUT) -> str:
    """`serving` once `GET /` answers 200, or `exit <code>` if the process ends first."""
    try:
        server.wait_ready(timeout)
    except ServerStartError:
        if server.proc.poll() is None:
            raise
        return f"exit {server.proc.returncode}"
    return "serving"


@contextmanager
def started_pair(reference: Reference, launch: Launch, *, ready: bool = True) -> Iterator[Pair]:
    """Start both servers at once (boots overlap), wait for both, stop both whatever happens.

    With `ready=False` the pair is handed over as soon as both processes run (see `settle`).
    """
    with tempfile.TemporaryDirectory(prefix="azmlinfsrv-ref-run-") as runtime_dir:
        ours = _start_ours(launch.script, args=launch.args, env=launch.env, cwd=launch.cwd, ready=False)
        try:
            port = free_port()
            ref = _start_command(
                reference.argv(launch, port),
                port,
                env=reference.env(launch, runtime_dir),
                cwd=launch.cwd,
                ready=False,
            )
            try:
                if ready:
                    ours.wait_ready(BOOT_TIMEOUT)
                    ref.wait_ready(BOOT_TIMEOUT)
                pair = Pair(ours, ref)
                yield pair
                pair.stop()
            finally:
                ref.stop()
        finally:
            ours.stop()


def boot_both(
    reference: Reference, launch: Launch, timeout: float = BOOT_TIMEOUT
) -> dict[str, tuple[int, str]]:
    """Run both servers at once for a script that must fail to boot; their exit codes and outputs."""
    with (
        tempfile.TemporaryDirectory(prefix="azmlinfsrv-ref-run-") as runtime_dir,
        ThreadPoolExecutor(2) as pool,
    ):
        ref_port, our_port = free_port(), free_port()
        ref = pool.submit(
            run_command_to_exit,
            reference.argv(launch, ref_port),
            env=reference.env(launch, runtime_dir),
            cwd=launch.cwd,
            timeout=timeout,
        )
        ours = pool.submit(
            run_to_exit,
            server_args(launch.script, our_port, launch.args),
            env=launch.env,
            cwd=launch.cwd,
            timeout=timeout,
        )
        return {OURS: ours.result(), REFERENCE: ref.result()}
