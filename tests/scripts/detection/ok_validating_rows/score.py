"""Correct, careful undecorated credit scoring: validates every row, answers an empty batch, never crashes.

Request:  {"data": [[income, debt, age, years_employed], ...]}  (at most 500 rows)
Response: {"scores": [probability, ...], "highest": probability | null}
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse

MAX_ROWS = 500
LIMITS = {"income": (0.0, 1e7), "debt": (0.0, 1e7), "age": (18.0, 120.0), "years_employed": (0.0, 80.0)}
WEIGHTS = {"income": -2.0e-5, "debt": 4.0e-5, "age": -0.01, "years_employed": -0.05}
BIAS = 0.3


def init():
    pass


def _parse(rows):
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ValueError(f"data must be a list of at most {MAX_ROWS} rows")
    parsed = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(LIMITS):
            raise ValueError(f"data[{i}] must be a list of {len(LIMITS)} numbers")
        named = dict(zip(LIMITS, row))
        for name, value in named.items():
            low, high = LIMITS[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValueError(f"data[{i}].{name} must be a number from {low:g} to {high:g}")
        parsed.append(named)
    return parsed


def _score(row):
    z = BIAS + math.fsum(WEIGHTS[name] * value for name, value in row.items())
    return round(1 / (1 + math.exp(-z)), 6)


def run(raw_data):
    try:
        body = json.loads(raw_data)
        rows = _parse(body.get("data") if isinstance(body, dict) else None)
    except ValueError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    scores = [_score(row) for row in rows]
    return {"scores": scores, "highest": max(scores) if scores else None}
