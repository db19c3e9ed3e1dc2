"""scorecheck property test script, correct: float outputs (a numerically stable softmax).

Undecorated. `{"logits": [finite numbers]}` -> `{"probabilities": [...], "top": index}`; the outputs are
always finite floats, tiny and negative-zero-free ones included, so strict JSON parsers read every answer.
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def run(data):
    try:
        logits = json.loads(data)["logits"]
        if not isinstance(logits, list) or not logits:
            raise ValueError("logits must be a non-empty list")
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in logits):
            raise ValueError("logits must be numbers")
        values = [float(v) for v in logits]
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    if not all(math.isfinite(v) for v in values):
        return AMLResponse({"message": "logits out of range"}, 400, json_str=True)
    top = max(values)
    # Differences can overflow to -inf for values near the float limits; exp(-inf) is a clean 0.0.
    weights = [math.exp(v - top) if math.isfinite(v - top) else 0.0 for v in values]
    total = math.fsum(weights)
    return {"probabilities": [w / total for w in weights], "top": values.index(top)}
