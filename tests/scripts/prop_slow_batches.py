"""scorecheck property test script: too slow on large batches.

Undecorated; its fixtures send a few values and allow 1.5 s (a margin no loaded machine eats). Batches of more
than 20 values take 2.5 s, which only the latency check notices.
"""

import json
import math
import time

from azureml.contrib.services.aml_response import AMLResponse

SLOW_ABOVE = 20


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
    if len(values) > SLOW_ABOVE:
        time.sleep(2.5)  # the bug: work that grows with the batch, far past the budget
    return {"total": total}
