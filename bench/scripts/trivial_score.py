"""Trivial AzureML scoring script used by every server in the benchmark."""

from __future__ import annotations

from typing import Any


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


def run(raw_data: Any) -> dict[str, Any]:
    """Return a small constant dict, whatever the input."""
    return {"result": [1, 2, 3], "ok": True}
