"""Readmission risk, decorated with numpy in and a declared output. Planted bug: one row answers a bare number.

`np.squeeze(...).tolist()` turns a one-row batch into a float, where @output_schema promises a list.

Request:  {"data": [[age, bmi, systolic_bp], ...]}  (at most 1000 rows; age 0..120, bmi 10..80, bp 50..250)
Response: {"risk": [0.12, ...], "model": "readmit-3"}
"""

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

LOW = np.array([0.0, 10.0, 50.0])
HIGH = np.array([120.0, 80.0, 250.0])
COEF = np.array([[0.02], [0.03], [0.01]])
MAX_ROWS = 1000


def init():
    pass


@input_schema("data", NumpyParameterType(np.array([[64.0, 27.5, 140.0], [45.0, 22.0, 120.0]])))
@output_schema(StandardPythonParameterType({"risk": [0.12, 0.08], "model": "readmit-3"}))
def run(data):
    rows = np.asarray(data, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != 3 or len(rows) > MAX_ROWS:
        return AMLResponse({"message": f"expected at most {MAX_ROWS} rows of 3 values"}, 400, json_str=True)
    if not np.all(np.isfinite(rows)) or np.any(rows < LOW) or np.any(rows > HIGH):
        return AMLResponse({"message": "age 0..120, bmi 10..80, systolic_bp 50..250"}, 400, json_str=True)
    logits = rows @ COEF - 4.5
    risk = np.round(1 / (1 + np.exp(-logits)), 4)
    return {"risk": np.squeeze(risk).tolist(), "model": "readmit-3"}  # the bug: one row gives a float
