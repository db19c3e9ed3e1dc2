"""scorecheck property test script, correct: decorated with numpy and standard inference-schema types.

`data` is an n x 3 array, `scale` an optional number; the answer is each row's scaled sum, as plain floats.
"""

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    pass


@input_schema("data", NumpyParameterType(np.array([[1.0, 2.0, 3.0]])))
@input_schema("scale", StandardPythonParameterType(1.0))
@output_schema(StandardPythonParameterType({"sums": [6.0], "rows": 1}))
def run(data, scale=1.0):
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        return AMLResponse({"message": "scale must be a number"}, 400, json_str=True)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.sum(data, axis=1) * float(scale)
    if not np.all(np.isfinite(sums)):
        return AMLResponse({"message": "the values are out of range"}, 400, json_str=True)
    return {"sums": [float(s) for s in sums], "rows": int(len(sums))}
