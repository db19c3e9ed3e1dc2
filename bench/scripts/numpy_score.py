"""Benchmark kind `numpy`: a numpy array in (inference-schema converts the JSON list), a list out."""

from __future__ import annotations

from typing import Any

import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


@input_schema("data", NumpyParameterType(np.array([[1.0, 2.0, 3.0, 4.0]])))
@output_schema(NumpyParameterType(np.array([10.0])))
def run(data: Any) -> list[float]:
    """The row sums, as plain floats."""
    return [float(v) for v in data.sum(axis=1)]
