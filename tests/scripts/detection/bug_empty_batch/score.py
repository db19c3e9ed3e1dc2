"""Credit-risk scoring, undecorated. Planted bug: an empty batch crashes (np.vstack of no rows).

Request:  {"data": [[income, debt, age, years_employed], ...]}  (at most 500 rows)
Response: {"scores": [probability, ...], "highest": probability}
"""

import json
import math

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse

MAX_ROWS = 500
# (name, lowest, highest) of each feature, in row order.
FEATURES = (("income", 0.0, 1e7), ("debt", 0.0, 1e7), ("age", 18.0, 120.0), ("years_employed", 0.0, 80.0))
WEIGHTS = np.array([-2.0e-5, 4.0e-5, -0.01, -0.05])
BIAS = 0.3


def init():
    pass


def _bad_request(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _row(index, row):
    if not isinstance(row, list) or len(row) != len(FEATURES):
        raise ValueError(f"data[{index}] must be a list of {len(FEATURES)} numbers")
    values = []
    for value, (name, low, high) in zip(row, FEATURES):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"data[{index}].{name} must be a number")
        number = float(value)
        if not (math.isfinite(number) and low <= number <= high):
            raise ValueError(f"data[{index}].{name} must be between {low:g} and {high:g}")
        values.append(number)
    return np.array(values)


def run(raw_data):
    try:
        body = json.loads(raw_data)
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ValueError('expected {"data": [[income, debt, age, years_employed], ...]}')
        if len(rows) > MAX_ROWS:
            raise ValueError(f"at most {MAX_ROWS} rows per request")
        parsed = [_row(i, row) for i, row in enumerate(rows)]
    except (ValueError, OverflowError) as exc:
        return _bad_request(str(exc))
    matrix = np.vstack(parsed)  # the bug: ValueError "need at least one array to concatenate" for []
    scores = 1.0 / (1.0 + np.exp(-(matrix @ WEIGHTS + BIAS)))
    return {"scores": [round(float(s), 6) for s in scores], "highest": round(float(scores.max()), 6)}
