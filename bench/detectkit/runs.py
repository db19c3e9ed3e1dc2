"""One gate run: `scorecheck run` of one script at one seed, in its own process group, read back as a verdict.

Only `--seed`, `--format json` and `--junit-xml` are passed; the working directory is a fresh temporary
folder (no pyproject.toml above it, saved failures land there), so every other setting is the default.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchkit.procs import kill_group

from detectkit.suite import Script

# Exit codes of `scorecheck run` (docs/scorecheck.md): 1 a check failed, 3 the server failed or died.
GATE_FAILED = (1, 3)
WARNING_KIND = "Warning"
# A gate needs a moment after SIGTERM to stop its server, which runs in a process group of its own.
GATE_STOP_GRACE_S = 15.0
SERVER_READY_S = 60.0  # --target: the script's own server, started before the gate


@dataclass(frozen=True)
class RunResult:
    script: str
    seed: int
    verdict: str  # pass | warn | fail | error (the run itself went wrong: usage, harness, timeout)
    exit_code: int | None
    wall_s: float
    property_s: float
    failed: tuple[str, ...] = ()  # property checks that failed, "replay" when a fixture failed
    warned: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Groups:
    """Process groups of the runs in flight, so that Ctrl-C can kill them all from the main thread."""

    live: set[int] = field(default_factory=set)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, pid: int) -> bool:
        """Track a new group; False when a stop is under way (the caller then kills it itself)."""
        with self.lock:
            self.live.add(pid)
            return not self.stopping.is_set()

    def discard(self, pid: int) -> None:
        with self.lock:
            self.live.discard(pid)

    def kill_all(self) -> None:
        """SIGTERM every gate at once (each then stops its own server group), then wait for them in turn."""
        self.stopping.set()
        with self.lock:
            pids = list(self.live)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        for pid in pids:
            kill_group(pid, grace_s=GATE_STOP_GRACE_S)


def command(scorecheck: Path, script: Script, seed: int, junit: Path, target: str | None = None) -> list[str]:
    """The gate on the script, or with `target`, on the script's cases against that running endpoint."""
    subject = ["--target", target] if target is not None else [str(script.score)]
    return [
        str(scorecheck),
        "run",
        *subject,
        str(script.cases),
        "--seed",
        str(seed),
        "--format",
        "json",
        "--junit-xml",
        str(junit),
    ]


def run_once(
    scorecheck: Path, script: Script, seed: int, deadline_s: float, groups: Groups, *, target: bool = False
) -> RunResult:
    """Run the gate once; never raises for what the gate or the script does. With `target`, the script is
    served by its own azmlinfsrv first and the gate is given only its URL (`--target`): no server log."""
    if not target:
        return _gate(scorecheck, script, seed, deadline_s, groups, target=None)
    from scorecheck.serverproc.process import ServerProcess, ServerStartError

    with ServerProcess(str(script.score)) as server:
        try:
            server.wait_ready(time.monotonic() + SERVER_READY_S)
        except ServerStartError as exc:
            return RunResult(script.name, seed, "error", None, 0.0, 0.0, note=f"server: {exc}")
        return _gate(scorecheck, script, seed, deadline_s, groups, target=server.base_url)


def _gate(
    scorecheck: Path, script: Script, seed: int, deadline_s: float, groups: Groups, *, target: str | None
) -> RunResult:
    with tempfile.TemporaryDirectory(prefix=f"detect-{script.name}-") as tmp:
        started = time.monotonic()
        proc = subprocess.Popen(
            command(scorecheck, script, seed, Path(tmp) / "TEST-scorecheck.xml", target),
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            if not groups.add(proc.pid):
                return RunResult(script.name, seed, "error", None, 0.0, 0.0, note="stopped")
            out, err = proc.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid, grace_s=GATE_STOP_GRACE_S)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=5)
            return RunResult(
                script.name, seed, "error", None, deadline_s, 0.0, note=f"no verdict in {deadline_s:.0f} s"
            )
        finally:
            kill_group(proc.pid, grace_s=GATE_STOP_GRACE_S)  # a no-op once the gate has exited by itself
            groups.discard(proc.pid)
        wall = time.monotonic() - started
    return read_result(script.name, seed, code=proc.returncode, wall_s=wall, out=out, err=err)


def read_result(name: str, seed: int, *, code: int, wall_s: float, out: bytes, err: bytes) -> RunResult:
    """The verdict of one run from its exit code and its `--format json` document."""
    try:
        doc: dict[str, Any] = json.loads(out)
    except ValueError:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return RunResult(name, seed, "error", code, wall_s, 0.0, note=f"exit {code}: {tail[0][:160]}")
    cases = doc.get("cases", [])
    prop = [case for case in cases if case["suite"] == "property"]
    # The runtime suite (memory_growth, startup_time) fails the gate too: name it like a property check.
    judged = [case for case in cases if case["suite"] in ("property", "runtime")]
    failed = [case["name"] for case in judged if case["outcome"] in ("failed", "error")]
    if any(case["suite"] == "replay" and case["outcome"] in ("failed", "error") for case in cases):
        failed.insert(0, "replay")
    if doc.get("server", {}) and doc["server"].get("status") == "failed":
        failed.insert(0, "startup")
    warned = tuple(
        case["name"] for case in prop if case["outcome"] == "passed" and case["kind"] == WARNING_KIND
    )
    property_s = sum(float(case["elapsed_s"]) for case in prop)
    return RunResult(name, seed, _verdict(code, warned), code, wall_s, property_s, tuple(failed), warned)


def _verdict(code: int, warned: tuple[str, ...]) -> str:
    if code == 0:
        return "warn" if warned else "pass"
    return "fail" if code in GATE_FAILED else "error"
