"""The score script behind driver_outer.py: its run() is decorated; its init() must not be the one called."""

from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema

state = {"init": None}


def init():
    state["init"] = "inner"


@input_schema("data", StandardPythonParameterType([1, 2]))
def run(data):
    return {"init": state["init"], "data": data}
