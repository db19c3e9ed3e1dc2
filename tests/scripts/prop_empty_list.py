"""scorecheck property test script: crashes on an empty list (the mean of nothing).

Undecorated; its fixtures send `{"data": [numbers]}`. Anything that is not a list of finite numbers gets a
400, so the one bug the property phase can find is the ZeroDivisionError on `{"data": []}`.
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def run(data):
    try:
        values = [float(v) for v in json.loads(data)["data"]]
        total = math.fsum(values)
    except (ValueError, TypeError, KeyError, OverflowError):
        return AMLResponse({"message": 'expected {"data": [finite numbers]}'}, 400, json_str=True)
    if not math.isfinite(total):
        return AMLResponse({"message": "the values are too large"}, 400, json_str=True)
    return {"mean": total / len(values)}  # the bug: an empty list divides by zero
