"""A virtual environment built from a requirements file, once, and reused while the file is unchanged.

The stamp file inside the venv holds a digest of the requirements text and the base interpreter, so editing
the requirements (or changing the interpreter) rebuilds it. Every step runs under one overall deadline, and a
lock file serialises concurrent builders (several xdist workers starting at once).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_STAMP = ".requirements.sha256"


class VenvUnavailable(RuntimeError):
    """The environment could not be built; the message says which step failed and shows its output."""


@dataclass(frozen=True)
class VenvSpec:
    """Where the environment lives, what goes in it, and how long building it may take."""

    path: Path
    requirements: Path
    python: str = "python3.11"
    deadline_s: float = 600.0


def _base_python(preferred: str) -> str:
    return shutil.which(preferred) or sys.executable


def _digest(spec: VenvSpec) -> str:
    text = spec.requirements.read_bytes() + b"\0" + _base_python(spec.python).encode()
    return hashlib.sha256(text).hexdigest()


def _is_current(spec: VenvSpec, digest: str) -> bool:
    stamp = spec.path / _STAMP
    return stamp.is_file() and stamp.read_text().strip() == digest and (spec.path / "bin" / "python").exists()


def _run(cmd: list[str], deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise VenvUnavailable(f"no time left for: {' '.join(cmd)}")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=remaining, check=False)
    except subprocess.TimeoutExpired:
        raise VenvUnavailable(f"timed out after {remaining:.0f}s: {' '.join(cmd)}") from None
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise VenvUnavailable(f"exit {done.returncode}: {' '.join(cmd)}\n" + "\n".join(tail))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv(spec: VenvSpec) -> Path:
    """Build `spec.path` from `spec.requirements` unless it is current; return its `bin` directory."""
    digest = _digest(spec)
    with _locked(spec.path.with_name(spec.path.name + ".lock")):
        if _is_current(spec, digest):
            return spec.path / "bin"
        deadline = time.monotonic() + spec.deadline_s
        shutil.rmtree(spec.path, ignore_errors=True)
        _run([_base_python(spec.python), "-m", "venv", str(spec.path)], deadline)
        pip = [str(spec.path / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        _run([*pip, "install", "-r", str(spec.requirements)], deadline)
        (spec.path / _STAMP).write_text(digest + "\n")
    return spec.path / "bin"
