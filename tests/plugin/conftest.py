"""Enables pytester for the plugin tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Not `pytest_plugins = ["pytester"]`: pytest refuses that outside the top-level conftest, and this one
    # is loaded late (during collection) when the whole suite runs from the repository root.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
