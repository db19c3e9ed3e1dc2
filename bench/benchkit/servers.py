"""The three servers under test and the command line that starts each on a given port."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REFERENCE, OURS, BARE = "reference", "ours", "bare"
ALL_SERVERS = (REFERENCE, OURS, BARE)
LABELS = {REFERENCE: "reference", OURS: "ours", BARE: "bare flask"}


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: ``command(port)`` gives its argv."""

    key: str
    command: Callable[[int], list[str]]

    @property
    def label(self) -> str:
        return LABELS[self.key]


@dataclass(frozen=True)
class Layout:
    """Paths and settings shared by the server commands."""

    ref_bin: Path
    ours_bin: Path
    scripts: Path
    workers: int
    threads: int
    bare_flags: tuple[str, ...] = ()

    @property
    def score_script(self) -> Path:
        return self.scripts / "trivial_score.py"


def reference_cmd(layout: Layout, port: int) -> list[str]:
    """The reference has no host flag: it binds all interfaces, the bench only talks to 127.0.0.1."""
    return [
        str(layout.ref_bin / "azmlinfsrv"),
        "--entry_script",
        str(layout.score_script),
        "--port",
        str(port),
        "--worker_count",
        str(layout.workers),
    ]


def ours_cmd(layout: Layout, port: int) -> list[str]:
    """Ours takes the reference's flags plus ``--host``."""
    return [
        str(layout.ours_bin / "azmlinfsrv"),
        "--entry_script",
        str(layout.score_script),
        "--port",
        str(port),
        "--worker_count",
        str(layout.workers),
        "--host",
        "127.0.0.1",
    ]


def bare_cmd(layout: Layout, port: int) -> list[str]:
    """Bare Flask on the same gunicorn worker class and thread count as ours; no access log, so it
    is the ceiling for the stack. ``bare_flags`` adds --no-control-socket where gunicorn has it (as ours)."""
    return [
        str(layout.ours_bin / "gunicorn"),
        "--workers",
        str(layout.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(layout.threads),
        *layout.bare_flags,
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(layout.scripts),
        "bare_flask_app:app",
    ]


def specs(layout: Layout, keys: tuple[str, ...]) -> list[ServerSpec]:
    builders = {REFERENCE: reference_cmd, OURS: ours_cmd, BARE: bare_cmd}
    return [ServerSpec(key, _bind(builders[key], layout)) for key in keys]


def _bind(builder: Callable[[Layout, int], list[str]], layout: Layout) -> Callable[[int], list[str]]:
    return lambda port: builder(layout, port)


def gunicorn_flags(gunicorn: Path) -> tuple[str, ...]:
    """``--no-control-socket`` if this gunicorn has a control socket (23+), as ours disables it."""
    if not gunicorn.exists():
        return ()
    out = subprocess.run([str(gunicorn), "--help"], capture_output=True, text=True, timeout=30, check=False)
    return ("--no-control-socket",) if "--no-control-socket" in out.stdout else ()


def ours_threads(python: Path) -> int | None:
    """Threads per gunicorn worker in ours (``THREADS_PER_WORKER``), None if it cannot be read."""
    if not python.exists():
        return None
    code = "from azmlinfsrv.runners.gunicorn_runner import THREADS_PER_WORKER as t; print(int(t))"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False)
    return int(out.stdout) if out.returncode == 0 and out.stdout.strip().isdigit() else None
