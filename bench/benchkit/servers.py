"""The three servers under test and the command line that starts each on a given port."""

from __future__ import annotations

import json
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
    bare_worker_class: str
    bare_threads: int | None
    bare_flags: tuple[str, ...] = ()
    script: str = "trivial_score.py"

    @property
    def score_script(self) -> Path:
        return self.scripts / self.script


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
    """Bare Flask on the same gunicorn worker class (and threads) as ours; no access log, so it is
    the ceiling for the stack. ``bare_flags`` adds --no-control-socket where gunicorn has it (as ours)."""
    return [
        str(layout.ours_bin / "gunicorn"),
        "--workers",
        str(layout.workers),
        "--worker-class",
        layout.bare_worker_class,
        *(["--threads", str(layout.bare_threads)] if layout.bare_threads else []),
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


_OURS_WORKER_CODE = """
import json, os
from azmlinfsrv.config import CliArgs, build_config
from azmlinfsrv.runners.gunicorn_runner import gunicorn_options
opts = gunicorn_options(build_config(CliArgs(), {}, os.getcwd()))
cls = opts["worker_class"]
name = cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"
print(json.dumps([name, opts.get("threads")]))
"""


def ours_worker(python: Path) -> tuple[str, int | None] | None:
    """Ours' gunicorn worker class and threads (None: not set), read from its gunicorn options."""
    if not python.exists():
        return None
    out = subprocess.run(
        [str(python), "-c", _OURS_WORKER_CODE], capture_output=True, text=True, timeout=60, check=False
    )
    try:
        name, threads = json.loads(out.stdout)
    except ValueError:
        return None
    return str(name), int(threads) if threads else None
