"""Helpers for the scorecheck tests: script paths, fixture files, polling, and the CLI as a process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Optional, Sequence

if TYPE_CHECKING:
    from tests.scorecheck.junit_checks import Report

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "tests" / "scripts"
ECHO = SCRIPTS / "sc_echo.py"
INIT_FAILS = SCRIPTS / "sc_init_fails.py"
HOUSING = REPO / "fixtures" / "housing"
SCORECHECK = Path(sys.executable).with_name("scorecheck")
# A deadline, not a speed goal: a 500-example property phase on a loaded 2-core machine takes minutes.
CLI_TIMEOUT = 600.0


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def poll(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until `predicate()` holds; fail the test naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def cli_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZUREML_", "AML_"))}
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def scorecheck(
    args: Sequence[str],
    cwd: Path,
    env: Optional[Dict[str, str]] = None,
    command: Sequence[str] = (str(SCORECHECK),),
) -> subprocess.CompletedProcess[str]:
    """Run the installed `scorecheck` console script (or `command`) to completion, in a session of its own, so
    that a timeout (or Ctrl-C of the tests) kills its whole group."""
    process = subprocess.Popen(
        [*command, *args],
        cwd=cwd,
        env=cli_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
    except BaseException:
        kill_session(process)
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def kill_session(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process's whole group and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def processes_with(token: str) -> list[int]:
    """Live (non-zombie) processes whose environment holds `token`: everything a test's process started,
    whichever session or group it moved to and whoever its parent is now."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if token.encode() not in (proc / "environ").read_bytes():
                continue
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile, or not ours to read
        if state != "Z":
            found.append(int(proc.name))
    return found


def end_all(token: str) -> None:
    """SIGKILL whatever `processes_with(token)` finds: a failing test leaves nothing behind."""
    for pid in processes_with(token):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def report_at(path: Path) -> Report:
    """The JUnit report at `path`, checked against the profile CI consumers read."""
    from tests.scorecheck.junit_checks import check_report

    assert path.is_file(), f"no report at {path}"
    return check_report(path)
