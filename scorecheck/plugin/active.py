"""Switching the plugin on: read the settings, extend the collection, register the active modules.

`scorecheck.plugin.pytest_configure` imports this only when the session asked for scorecheck.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Optional, Sequence

import pytest

from .settings import PluginSettings, absolute, read_settings
from .state import ACTIVE, MARKER, STATE, SessionState


def activate(config: pytest.Config, name: str, modules: Sequence[ModuleType]) -> None:
    """Read the settings, extend the collection and register `modules` as plugins, the first one as `name`."""
    settings = read_settings(config)
    session = SessionState(settings)
    config.stash[STATE] = session
    config.addinivalue_line("markers", f"{MARKER}: a case from a scorecheck fixture file")
    extend_collection(config, settings)
    ACTIVE.append(session)
    first, *others = modules
    config.pluginmanager.register(first, name)  # `name` marks the session as active
    for module in others:
        config.pluginmanager.register(module, f"{name}-{module.__name__.rsplit('.', 1)[-1]}")


def _arg_path(here: Path, arg: str) -> Optional[Path]:
    path = Path(absolute(here, arg.split("::", 1)[0]))
    return path if path.exists() else None


def _overlaps(one: Path, other: Path) -> bool:
    return one == other or one in other.parents or other in one.parents


def extend_collection(config: pytest.Config, settings: PluginSettings) -> None:
    """Collect the fixture folders unless the command line narrowed the collection without them.

    Folders from the ini are added when pytest collects its default paths (no path arguments), folders
    from `--score-fixtures` always; a folder overlapping a collected path is left to pytest's own walk
    (so `pytest cases/bad.yaml::bad` runs just that case).
    """
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    if explicit and not settings.fixtures_from_cmdline:
        return
    here = Path(config.invocation_params.dir)
    roots = [root for root in (_arg_path(here, arg) for arg in config.args) if root is not None]
    for path in settings.fixtures:
        if not any(_overlaps(path, root) for root in roots):
            config.args.append(str(path))
