"""The swagger README's decorated sample: numpy int64 input, numpy float64 output."""

import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    pass


@input_schema("data", NumpyParameterType(np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], dtype=np.int64)))
@output_schema(NumpyParameterType(np.array([3726.995], dtype=np.float64)))
def run(data):
    return int(np.sum(data))
