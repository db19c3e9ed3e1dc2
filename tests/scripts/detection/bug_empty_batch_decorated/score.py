"""Basket totals, decorated with a standard-python list of line items. Planted bug: an empty basket crashes.

Request:  {"data": [{"sku": "A-100", "quantity": 2, "unit_price": 9.5}, ...]}  (at most 200 lines)
Response: {"total": 19.0, "largest_line": 19.0, "lines": 1}
"""

import math

from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

MAX_LINES = 200
SAMPLE_INPUT = [{"sku": "A-100", "quantity": 2, "unit_price": 9.5}]
SAMPLE_OUTPUT = {"total": 19.0, "largest_line": 19.0, "lines": 1}


def init():
    pass


def _line_amount(position, line):
    if not isinstance(line, dict):
        raise ValueError(f"line {position} must be an object")
    quantity, price = line.get("quantity"), line.get("unit_price")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10_000:
        raise ValueError(f"line {position}: quantity must be an integer from 1 to 10000")
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price <= 1e6:
        raise ValueError(f"line {position}: unit_price must be a number from 0 to 1000000")
    if not isinstance(line.get("sku"), str) or not 1 <= len(line["sku"]) <= 32:
        raise ValueError(f"line {position}: sku must be a string of 1 to 32 characters")
    return quantity * float(price)


@input_schema("data", StandardPythonParameterType(SAMPLE_INPUT))
@output_schema(StandardPythonParameterType(SAMPLE_OUTPUT))
def run(data):
    if not isinstance(data, list) or len(data) > MAX_LINES:
        return AMLResponse({"message": f"data must be a list of at most {MAX_LINES} lines"}, 400, json_str=True)
    try:
        amounts = [_line_amount(i, line) for i, line in enumerate(data)]
    except ValueError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    largest = max(amounts)  # the bug: max() of an empty basket raises ValueError
    return {"total": round(math.fsum(amounts), 2), "largest_line": round(largest, 2), "lines": len(amounts)}
