"""scorecheck property test script, correct: undecorated, validates its input and answers 400 otherwise.

`{"data": [finite numbers], "weights": [finite numbers] | null (optional)}` -> `{"total": ..., "count": ...}`.
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def _bad(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _numbers(value, name):
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{name} must be a list of numbers")
    numbers = [float(v) for v in value]  # OverflowError for integers beyond the float range
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError(f"{name} holds a value out of range")
    return numbers


def run(data):
    try:
        body = json.loads(data)
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        values = _numbers(body.get("data"), "data")
        weights = body.get("weights")
        weights = _numbers(weights, "weights") if weights is not None else [1.0] * len(values)
        if len(weights) != len(values):
            raise ValueError("weights and data differ in length")
        total = math.fsum(v * w for v, w in zip(values, weights))
    except (ValueError, OverflowError) as exc:
        return _bad(str(exc))
    if not math.isfinite(total):
        return _bad("the weighted total is out of range")
    return {"total": total, "count": len(values)}
