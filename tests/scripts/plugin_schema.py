"""pytest-plugin test script with an input schema: hypothesis payloads are drawn from it."""

from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema


def init():
    pass


@input_schema("data", StandardPythonParameterType([{"rooms": 3, "area": 70.5}]))
def run(data):
    return {"rows": len(data)}
