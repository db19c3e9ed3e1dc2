"""The command printed with every failure that runs it again, as printed, from the same directory.

It carries what the failure depends on: the script, `--model-dir`, `--target`, `--env`, `--server-arg`,
`--header`, the timeouts and the comparison options (settings from pyproject.toml come back by themselves).
Credentials are never printed: a header value, and the value of an environment variable whose name looks
secret, appear as a `${NAME}` reference (the one typed, or `SCORECHECK_<HEADER>`), and a line says which
variables to export first.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..config import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_TIME,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    RunConfig,
    property_examples,
)
from ..model import Case
from ..serverproc.client import redact_url
from ..serverproc.secrets import is_secret_header, references, variable_for


def _shown(value: str, secret: bool, variable: str) -> Tuple[str, List[str]]:
    """The value as printed, and the variables the user must export for it."""
    if references(value) or not secret:
        return value, []
    return f"${{{variable}}}", [variable]


def _server_words(config: RunConfig) -> Tuple[List[str], List[str]]:
    words: List[str] = []
    needed: List[str] = []
    if config.model_dir:
        words += ["--model-dir", config.model_dir]
    if config.target:
        words += ["--target", redact_url(config.target)]
    for name, value in config.cli_env:
        shown, variables = _shown(value, is_secret_header(name), name)
        words += ["--env", f"{name}={shown}"]
        needed += variables
    words += [f"--server-arg={arg}" for arg in config.server_args]
    for name, value in config.cli_headers:
        shown, variables = _shown(value, True, variable_for(name))
        words += ["--header", f"{name}: {shown}"]
        needed += variables
    return words, needed


def _option_words(config: RunConfig) -> List[str]:
    words: List[str] = []
    if config.startup_timeout != DEFAULT_STARTUP_TIMEOUT:
        words += ["--startup-timeout", f"{config.startup_timeout:g}"]
    if config.request_timeout != DEFAULT_REQUEST_TIMEOUT:
        words += ["--request-timeout", f"{config.request_timeout:g}"]
    for path in dict.fromkeys(config.ignore):
        words += ["--ignore", path]
    if not config.default_ignore:
        words.append("--no-default-ignore")
    return words


def _command(config: RunConfig, paths: Sequence[str], extra: Sequence[str]) -> str:
    server, needed = _server_words(config)
    script = [config.entry_script] if config.entry_script else []
    words = ["scorecheck", "run", *script, *paths, *server, *_option_words(config), *extra]
    command = " ".join(shlex.quote(word) for word in words)
    if not needed:
        return command
    names = ", ".join(dict.fromkeys(needed))
    return f"{command}\n           (export {names} first: credentials are never printed)"


def replay_command(config: RunConfig, case: Case) -> str:
    """The command that runs just this fixture case again."""
    # Quoted so that names with spaces or `-k` keywords (and/or/not) stay one literal substring.
    keyword = f'"{case.name}"' if '"' not in case.name else f"'{case.name}'"
    # The root, not the file: default case names are relative to the root they were loaded from.
    return _command(config, [case.root.as_posix()], ["--no-properties", "-k", keyword])


def property_command(config: RunConfig, check: str, seed: Optional[int], saved: Optional[Path]) -> str:
    """The command that shows a property failure again: its saved fixture, or else the same search."""
    if saved is not None:
        return _command(config, [saved.as_posix()], ["--no-properties"])
    search = ["--seed", str(seed), "--checks", check]
    examples = property_examples(config)  # with --shard, the seed and the examples are the shard's
    if examples != DEFAULT_MAX_EXAMPLES:
        search += ["--max-examples", str(examples)]
    if config.max_time != DEFAULT_MAX_TIME:
        search += ["--max-time", f"{config.max_time:g}"]
    return _command(config, list(config.fixtures), search)
