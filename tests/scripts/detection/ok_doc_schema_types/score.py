"""Correct, written like inference-schema's documentation: numpy, pandas and standard-python inputs.

No input validation beyond answering an empty batch.

Request:  {"numpy_input": [[f0, f1, f2, f3]], "pandas_input": [{"name": "Sarah", "age": 25}], "scale": 1.0}
Response: {"row_sums": [...], "mean_age": 25.0}
"""

import numpy as np
import pandas as pd
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

numpy_sample = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
pandas_sample = pd.DataFrame({"name": ["Sarah", "John"], "age": [25, 26]})
output_sample = {"row_sums": [10.0, 10.0], "mean_age": 25.5}


def init():
    pass


@input_schema("numpy_input", NumpyParameterType(numpy_sample))
@input_schema("pandas_input", PandasParameterType(pandas_sample))
@input_schema("scale", StandardPythonParameterType(1.0))
@output_schema(StandardPythonParameterType(output_sample))
def run(numpy_input, pandas_input, scale=1.0):
    row_sums = (numpy_input.sum(axis=1) * scale).tolist() if len(numpy_input) else []
    mean_age = float(pandas_input["age"].mean()) if len(pandas_input) else 0.0
    return {"row_sums": row_sums, "mean_age": mean_age}
