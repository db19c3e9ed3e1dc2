"""scorecheck baseline test script, the released version: `{"values": [numbers]}` -> `{"result": [...]}`.

Each value is scaled by 1.5 and rounded to 4 decimals; anything else is refused with a 400. The tests make each
candidate from this file with one edit (tests/integration/test_baseline.py), as a new version of a script is made.
"""

import json

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def parse(data):
    values = json.loads(data)["values"]
    if not isinstance(values, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise ValueError("values must be a list of numbers")
    return values


def run(data):
    try:
        values = parse(data)
    except (ValueError, TypeError, KeyError) as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    return {"result": [round(v * 1.5, 4) for v in values]}
