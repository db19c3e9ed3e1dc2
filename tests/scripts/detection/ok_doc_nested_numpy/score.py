"""Correct, written like the documentation's sample that nests numpy inputs in one `Inputs` object.

No input validation beyond answering an empty batch.

Request:  {"Inputs": {"input1": [[10 numbers], ...]}, "GlobalParameters": 1.0}
Response: {"Results": [score, ...]}
"""

import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

WEIGHTS = np.linspace(-1.0, 1.0, 10)

numpy_sample = NumpyParameterType(np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]], dtype="float64"))
sample_input = StandardPythonParameterType({"input1": numpy_sample})
sample_global_parameters = StandardPythonParameterType(1.0)
outputs = StandardPythonParameterType({"Results": StandardPythonParameterType([1.0, 1.0])})


def init():
    pass


@input_schema("Inputs", sample_input)
@input_schema("GlobalParameters", sample_global_parameters)
@output_schema(outputs)
def run(Inputs, GlobalParameters):
    data = Inputs["input1"]
    if len(data) == 0:
        return {"Results": []}
    result = data @ WEIGHTS * GlobalParameters
    return {"Results": result.tolist()}
