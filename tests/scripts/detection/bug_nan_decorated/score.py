"""Relative price changes, decorated with a standard-python list. Planted bug: an old price of 0 answers NaN/Infinity.

Request:  {"data": [{"old": 10.0, "new": 12.5}, ...]}  (at most 500, prices 0..1e7)
Response: {"changes": [0.25, ...]}
"""

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

MAX_ITEMS = 500


def init():
    pass


def _prices(data):
    pairs = []
    for i, item in enumerate(data):
        old, new = (item.get("old"), item.get("new")) if isinstance(item, dict) else (None, None)
        for name, value in (("old", old), ("new", new)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1e7:
                raise ValueError(f"data[{i}].{name} must be a price from 0 to 10000000")
        pairs.append((float(old), float(new)))
    return np.array(pairs).reshape(-1, 2)


@input_schema("data", StandardPythonParameterType([{"old": 10.0, "new": 12.5}]))
@output_schema(StandardPythonParameterType({"changes": [0.25]}))
def run(data):
    if not isinstance(data, list) or len(data) > MAX_ITEMS:
        return AMLResponse({"message": f"data must be a list of at most {MAX_ITEMS} items"}, 400, json_str=True)
    try:
        prices = _prices(data)
    except ValueError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        changes = (prices[:, 1] - prices[:, 0]) / prices[:, 0]  # the bug: an old price of 0
    return {"changes": [round(float(c), 6) for c in changes]}
