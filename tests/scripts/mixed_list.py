"""A mixed-type list sample, which swagger 2 cannot express."""

from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema


def init():
    pass


@input_schema("data", StandardPythonParameterType([1, "a"]))
def run(data):
    return data
