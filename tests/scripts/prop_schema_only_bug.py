"""scorecheck property test script, buggy: undecorated, validates its input, and crashes for `"op": "max"`.

`{"data": [finite numbers], "op": "sum" | "mean" | "max"}` -> `{"result": ...}`; 400 for anything else. The
fixtures show "sum" and "mean" only, so "max" is reachable through a declared schema's enum (`--input-schema`),
not through mutations of the fixtures.
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse

OPS = ("sum", "mean", "max")


def init():
    pass


def _bad(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _apply(op, values):
    if op == "sum":
        return math.fsum(values)
    if op == "mean":
        return math.fsum(values) / len(values) if values else 0.0
    return values.maximum()  # the bug: a list has no maximum(), so every "max" request is a 500


def run(data):
    try:
        body = json.loads(data)
        values = body["data"]
        if not isinstance(values, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values
        ):
            raise ValueError("data must be a list of finite numbers")
        if body.get("op") not in OPS:
            raise ValueError(f"op must be one of {', '.join(OPS)}")
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        return _bad(str(exc))
    try:
        result = _apply(body["op"], [float(v) for v in values])
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        return _bad("the result is out of range")
    return {"result": result}
