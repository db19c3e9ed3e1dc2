"""The reference server's own virtual environment, made (and kept up to date) by the bench itself."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

_STAMP = ".bench-requirements.sha256"


def _digest(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def _run(cmd: list[str], timeout_s: float) -> None:
    print("  $ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, timeout=timeout_s)


def _base_python(preferred: str) -> str:
    """``preferred`` (e.g. python3.11) if on PATH, else the interpreter running the bench."""
    return shutil.which(preferred) or sys.executable


def ensure_reference_venv(venv: Path, requirements: Path, python: str, timeout_s: float = 900) -> Path:
    """Create ``venv`` and install ``requirements`` into it unless already done; return its bin dir."""
    bindir = venv / "bin"
    stamp = venv / _STAMP
    digest = _digest(requirements)
    if stamp.is_file() and stamp.read_text().strip() == digest and (bindir / "azmlinfsrv").exists():
        return bindir
    print(f"Preparing the reference venv {venv} (once; reinstalled when {requirements.name} changes)")
    if not (bindir / "python").exists():
        _run([_base_python(python), "-m", "venv", str(venv)], timeout_s=120)
    pip = [str(bindir / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", "-r", str(requirements)], timeout_s=timeout_s)
    stamp.write_text(digest + "\n")
    return bindir


def package_version(python: Path, dist: str) -> str:
    """Installed version of ``dist`` in the environment of ``python`` ("?" if unknown)."""
    if not python.exists():
        return "?"
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=30, check=False)
    return out.stdout.strip() or "?"
