"""Conformance sample `schema`: two @input_schema parameters, one with a default."""

from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema


def init():
    pass


@input_schema("data", StandardPythonParameterType([{"a": 1, "b": "x"}]))
@input_schema("scale", StandardPythonParameterType(2.0))
def run(data, scale=1.0):
    return {"data": data, "scale": scale}
