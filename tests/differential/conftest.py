"""The reference package in its own cached venv, for every differential module.

Building it needs a package index. Outside CI a failure skips the suite with the reason; with `CI=true` it
fails the run, so CI can never go green without having compared anything.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO_ROOT
from support.refvenv import VenvSpec, VenvUnavailable, ensure_venv

from .pair import Reference

REFERENCE_VENV = VenvSpec(
    path=REPO_ROOT / ".venv-reference",
    requirements=Path(__file__).with_name("requirements-reference.txt"),
)


def _unavailable(reason: str) -> None:
    message = f"the reference server (azureml-inference-server-http) is unavailable: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def reference() -> Reference:
    if sys.platform == "win32":
        _unavailable("the reference server runs gunicorn, which needs a POSIX system")
    try:
        return Reference(ensure_venv(REFERENCE_VENV))
    except (VenvUnavailable, OSError) as exc:
        _unavailable(str(exc))
        raise  # unreachable: _unavailable always raises


@pytest.fixture(scope="module")
def app_root() -> Iterator[Path]:
    """An empty working directory (AML_APP_ROOT) so neither server picks up a stray config.json or module."""
    with tempfile.TemporaryDirectory(prefix="azmlinfsrv-diff-root-") as folder:
        yield Path(folder)
