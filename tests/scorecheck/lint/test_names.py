"""The server facts the lint keeps its own copy of (scorecheck never imports the server) equal the server's."""

from __future__ import annotations

from azmlinfsrv.config import DROPPED_FILE_KEYS, HONOURED_FILE_KEYS
from azmlinfsrv.script.entry import UPSTREAM_SHADOWED

from scorecheck.lint.names import (
    HONOURED_CONFIG_KEYS,
    IGNORED_CONFIG_KEYS,
    SERVER_CONFIG_KEYS,
    UPSTREAM_MODULES,
)


def test_the_shadowed_modules_are_the_servers() -> None:
    assert UPSTREAM_MODULES == UPSTREAM_SHADOWED


def test_the_config_keys_are_the_servers() -> None:
    assert set(HONOURED_FILE_KEYS) == HONOURED_CONFIG_KEYS
    assert dict(DROPPED_FILE_KEYS) == dict(IGNORED_CONFIG_KEYS)
    assert HONOURED_CONFIG_KEYS | set(IGNORED_CONFIG_KEYS) == SERVER_CONFIG_KEYS
