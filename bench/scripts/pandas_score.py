"""Benchmark kind `pandas`: a DataFrame in (inference-schema converts the JSON records), a list out."""

from __future__ import annotations

from typing import Any

import pandas as pd
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
from inference_schema.schema_decorators import input_schema


def init() -> None:
    """Load nothing: the benchmark measures the server, not the model."""


@input_schema("data", PandasParameterType(pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0], "d": [4.0]})))
def run(data: Any) -> list[float]:
    """The row sums, as plain floats."""
    return [float(v) for v in data.sum(axis=1)]
