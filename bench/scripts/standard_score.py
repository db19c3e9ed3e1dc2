"""Benchmark kind `standard`: inference-schema Standard parameter types on input and output."""

from __future__ import annotations

from typing import Any

from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


@input_schema("data", StandardPythonParameterType([[1.0, 2.0, 3.0, 4.0]]))
@output_schema(StandardPythonParameterType({"result": [1, 2, 3], "ok": True}))
def run(data: Any) -> dict[str, Any]:
    """Return a small constant dict, whatever the input."""
    return {"result": [1, 2, 3], "ok": True}
