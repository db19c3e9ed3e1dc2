"""Benchmark kind `rawhttp`: @rawhttp, reads the body bytes and returns a dict."""

from __future__ import annotations

from typing import Any

from azureml.contrib.services.aml_request import AMLRequest, rawhttp


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


@rawhttp
def run(request: AMLRequest) -> dict[str, Any]:
    """The body's size and the method, as a small dict."""
    return {"bytes": len(request.get_data()), "method": request.method}
