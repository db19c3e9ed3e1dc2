"""Correct: cost grows linearly with the batch (1 ms per row), as a per-row model call does.

A budget of 1000 ms holds up to about 900 rows; larger batches are slower in proportion, which is the
expected cost of a linear model and not a step or superlinear slowdown.

Request:  {"data": [[x0, x1], ...]}  (at most 5000 rows, |x| <= 1e6)
Response: {"y": [value, ...]}
"""

import json
import time

from azureml.contrib.services.aml_response import AMLResponse

MAX_ROWS = 5000
PER_ROW_S = 0.001


def init():
    pass


def _predict(row):
    time.sleep(PER_ROW_S)  # stands for one call into the model per row
    return round(0.5 * row[0] - 2.0 * row[1] + 1.0, 6)


def run(raw):
    try:
        rows = json.loads(raw)["data"]
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            raise ValueError(f"data must be a list of at most {MAX_ROWS} rows")
        for row in rows:
            if not isinstance(row, list) or len(row) != 2:
                raise ValueError("each row must hold 2 numbers")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e6 for v in row):
                raise ValueError("each value must be a number up to 1000000 in magnitude")
    except (ValueError, TypeError, KeyError) as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    return {"y": [_predict(row) for row in rows]}
