"""pyproject.toml installs every package of server/ and points the console scripts at modules that exist."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Dict

import pytest
from support import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SERVER = REPO_ROOT / "server"


def pyproject() -> Dict[str, Any]:
    with open(REPO_ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def test_every_server_folder_is_a_listed_package() -> None:
    # setuptools installs only the packages listed: a folder missing here would be absent from the wheel.
    folders = {
        ".".join(["azmlinfsrv", *p.parent.relative_to(SERVER).parts]) for p in SERVER.rglob("__init__.py")
    }
    listed = {name for name in pyproject()["tool"]["setuptools"]["packages"] if name.startswith("azmlinfsrv")}
    assert listed == folders


@pytest.mark.parametrize("script", ["azmlinfsrv", "fastml"])
def test_console_scripts_name_a_callable(script: str) -> None:
    module, _, attribute = pyproject()["project"]["scripts"][script].partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_every_scorecheck_folder_is_a_listed_package() -> None:
    # An editable install finds an unlisted folder anyway; only a real wheel would miss it.
    scorecheck = REPO_ROOT / "scorecheck"
    folders = {
        ".".join(["scorecheck", *p.parent.relative_to(scorecheck).parts])
        for p in scorecheck.rglob("__init__.py")
    }
    listed = {name for name in pyproject()["tool"]["setuptools"]["packages"] if name.startswith("scorecheck")}
    assert listed == folders
