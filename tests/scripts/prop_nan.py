"""scorecheck property test script: returns NaN when the values sum to zero.

Decorated with @input_schema/@output_schema. Each value's share of the total is computed with numpy, which
turns 0/0 into NaN instead of raising, so `{"data": [0.0]}` gets a body with a bare NaN.
"""

import math

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    pass


@input_schema("data", StandardPythonParameterType([1.0, 3.0]))
@output_schema(StandardPythonParameterType({"shares": [0.25, 0.75]}))
def run(data):
    values = np.asarray(data, dtype=float)
    if not np.all(np.isfinite(values)) or not math.isfinite(float(np.sum(np.abs(values)))):
        return AMLResponse({"message": "the values are too large"}, 400, json_str=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = values / np.sum(values)
    return {"shares": [float(s) for s in shares]}
