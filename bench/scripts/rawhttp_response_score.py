"""Benchmark kind `rawhttp-response`: @rawhttp returning an AMLResponse with a header, as JSON."""

from __future__ import annotations

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


@rawhttp
def run(request: AMLRequest) -> AMLResponse:
    """The body's size, as JSON with a custom header."""
    body = {"bytes": len(request.get_data()), "type": request.headers.get("Content-Type", "")}
    return AMLResponse(body, 200, {"X-Model": "bench"}, json_str=True)
