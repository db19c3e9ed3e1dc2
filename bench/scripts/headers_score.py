"""Benchmark kind `headers`: an undecorated run() that also takes request_headers."""

from __future__ import annotations

from typing import Any


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


def run(raw_data: Any, request_headers: dict[str, str]) -> dict[str, Any]:
    """A small dict naming the content type it was sent."""
    return {"result": [1, 2, 3], "type": request_headers.get("Content-Type", "")}
