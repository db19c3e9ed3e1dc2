"""The plugin's settings: the `--score-*` options and `score_*` ini keys, the command line winning."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

from ..config import (
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    MAX_SECONDS,
    ConfigError,
    check_duration,
    parse_assignment,
)
from ..serverproc.client import redact_url
from .server import ServerSettings


@dataclass(frozen=True)
class PluginSettings:
    server: ServerSettings
    fixtures: Tuple[Path, ...] = ()
    fixtures_from_cmdline: bool = False
    replay_args: Tuple[str, ...] = ()  # the --score-* words given on the command line, for `replay:` lines


def _paths(config: pytest.Config) -> Tuple[Path, Path]:
    """Where command-line paths are relative to, and where ini paths are."""
    here = Path(config.invocation_params.dir)
    base = config.inipath.parent if config.inipath is not None else Path(config.rootpath)
    return here, base


def absolute(folder: Path, text: str) -> str:
    # abspath, not resolve(): the server's tracebacks show the path as given, symlinks included.
    return os.path.abspath(folder / text)


def _path_setting(config: pytest.Config, name: str) -> Tuple[Optional[str], List[str]]:
    """(absolute path or None, the command-line words that set it)."""
    here, base = _paths(config)
    given = config.getoption(name)
    if given:
        return absolute(here, given), ["--" + name.replace("_", "-"), given]
    ini = config.getini(name)
    return (absolute(base, ini) if ini else None), []


def _fixture_paths(config: pytest.Config) -> Tuple[Tuple[Path, ...], List[str]]:
    here, _ = _paths(config)
    given: List[str] = config.getoption("score_fixtures") or []
    if given:
        words = [word for path in given for word in ("--score-fixtures", path)]
        return tuple(Path(absolute(here, path)) for path in given), words
    return tuple(Path(os.path.abspath(path)) for path in config.getini("score_fixtures")), []


def _env(config: pytest.Config) -> Tuple[Tuple[str, str], ...]:
    """ini lines first, then the command line; a later KEY wins."""
    lines = [*config.getini("score_env"), *(config.getoption("score_env") or [])]
    try:
        return tuple(dict(parse_assignment(line, "score_env") for line in lines if line.strip()).items())
    except ConfigError as err:
        raise pytest.UsageError(str(err)) from None


def _startup_timeout(config: pytest.Config) -> float:
    text = config.getoption("score_startup_timeout") or config.getini("score_startup_timeout")
    if not text:
        return DEFAULT_STARTUP_TIMEOUT
    try:
        return check_duration("score_startup_timeout", float(text), MAX_SECONDS)
    except (ValueError, ConfigError):
        raise pytest.UsageError(
            f"score_startup_timeout: expected a number of seconds > 0 and at most {MAX_SECONDS:g}, got {text!r}"
        ) from None


def _target(config: pytest.Config) -> Optional[str]:
    target = config.getoption("score_target") or config.getini("score_target") or None
    if target is not None and not target.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--score-target: expected an http:// or https:// URL, got {target!r}")
    return target


def read_settings(config: pytest.Config) -> PluginSettings:
    """The plugin's settings: the command line wins over the ini file. Raises pytest.UsageError."""
    entry, entry_words = _path_setting(config, "score_entry")
    model_dir, model_words = _path_setting(config, "score_model_dir")
    fixtures, fixture_words = _fixture_paths(config)
    target = _target(config)
    if target is None and entry is not None and not os.path.isfile(entry):
        raise pytest.UsageError(f"--score-entry: no such file: {entry}")
    for path in fixtures:
        if not path.exists():
            raise pytest.UsageError(f"--score-fixtures: no such file or directory: {path}")
    server_args = tuple(config.getoption("score_server_arg") or config.getini("score_server_args"))
    server = ServerSettings(
        entry=entry,
        model_dir=model_dir,
        server_args=server_args,
        env=_env(config),
        target=target,
        startup_timeout=_startup_timeout(config),
        request_timeout=DEFAULT_REQUEST_TIMEOUT,
    )
    given_target = config.getoption("score_target")
    target_words = ["--score-target", redact_url(given_target)] if given_target else []
    return PluginSettings(
        server=server,
        fixtures=fixtures,
        fixtures_from_cmdline=bool(fixture_words),
        replay_args=(*entry_words, *fixture_words, *model_words, *target_words),
    )
