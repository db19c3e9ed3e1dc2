"""An inference-schema run() that also takes request_headers, with an output schema; an empty list raises."""

from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    pass


@input_schema("data", StandardPythonParameterType([[1.0, 2.0, 3.0, 4.0]]))
@output_schema(StandardPythonParameterType({"rows": 1, "agent": "x"}))
def run(data, request_headers):
    if not data:
        raise ValueError("run() failed on purpose")
    return {"rows": len(data), "agent": request_headers.get("User-Agent", ""), "headers": request_headers}
