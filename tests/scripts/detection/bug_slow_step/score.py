"""Churn scores, undecorated. Planted bug: batches above 32 rows take 3 s more (a step, not a slope).

The fixtures send at most 8 rows and allow 1000 ms. Above 32 rows the script leaves its vectorised path and
"reloads the model per chunk", simulated by a fixed 3-second sleep.

Request:  {"data": [[tenure_months, monthly_fee, support_calls], ...]}  (at most 2000 rows)
Response: {"churn": [probability, ...]}
"""

import json
import math
import time

from azureml.contrib.services.aml_response import AMLResponse

MAX_ROWS = 2000
FAST_PATH_ROWS = 32
LIMITS = ((0, 600), (0, 10_000), (0, 1000))
WEIGHTS = (-0.04, 0.01, 0.3)


def init():
    pass


def _bad(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _valid_row(row):
    return (
        isinstance(row, list)
        and len(row) == len(LIMITS)
        and all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and low <= v <= high
            for v, (low, high) in zip(row, LIMITS)
        )
    )


def _score(row):
    z = sum(w * v for w, v in zip(WEIGHTS, row)) - 0.5
    return round(1 / (1 + math.exp(-z)), 6)


def run(raw):
    try:
        rows = json.loads(raw)["data"]
    except (ValueError, TypeError, KeyError):
        return _bad('expected {"data": [[tenure_months, monthly_fee, support_calls], ...]}')
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        return _bad(f"data must be a list of at most {MAX_ROWS} rows")
    if not all(_valid_row(row) for row in rows):
        return _bad("each row must hold tenure_months 0..600, monthly_fee 0..10000, support_calls 0..1000")
    if len(rows) > FAST_PATH_ROWS:
        time.sleep(3.0)  # the bug: the chunked fallback path reloads the model
    return {"churn": [_score(row) for row in rows]}
