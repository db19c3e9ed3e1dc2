"""scorecheck property test script: breaks its own @output_schema.

The sample output says `label` is a string; when the values sum to zero or less the script returns None there.
"""

import math

from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    pass


@input_schema("data", StandardPythonParameterType([1.0, 2.0]))
@output_schema(StandardPythonParameterType({"label": "positive", "score": 3.0}))
def run(data):
    try:
        score = math.fsum(float(v) for v in data)
    except (TypeError, ValueError, OverflowError):
        return AMLResponse({"message": "expected a list of numbers"}, 400, json_str=True)
    if not math.isfinite(score):
        return AMLResponse({"message": "the values are too large"}, 400, json_str=True)
    label = "positive" if score > 0 else None  # the bug: None is not a string
    return {"label": label, "score": score}
