"""Entry script behind the upstream expected_swagger*.json files (numpy samples)."""

import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    pass


@input_schema("data", NumpyParameterType(np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], dtype="int64")))
@output_schema(NumpyParameterType(np.array([3726.995], dtype="float64")))
def run(data):
    return data.sum().item()
