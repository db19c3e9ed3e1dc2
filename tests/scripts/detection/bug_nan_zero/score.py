"""Campaign conversion rates, undecorated. Planted bug: a campaign with 0 visits answers NaN or Infinity.

numpy divides by zero without raising (it only warns), so the body gets a bare NaN/Infinity that strict
JSON parsers reject.

Request:  {"campaigns": [{"visits": 120, "purchases": 6}, ...]}  (at most 100, counts 0..1e9)
Response: {"conversion": [0.05, ...], "total_visits": 120}
"""

import json

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse

MAX_CAMPAIGNS = 100
FIELDS = ("visits", "purchases")


def init():
    pass


class BadRequest(Exception):
    pass


def _counts(campaigns):
    if not isinstance(campaigns, list) or len(campaigns) > MAX_CAMPAIGNS:
        raise BadRequest(f"campaigns must be a list of at most {MAX_CAMPAIGNS} objects")
    rows = []
    for i, campaign in enumerate(campaigns):
        if not isinstance(campaign, dict):
            raise BadRequest(f"campaigns[{i}] must be an object")
        for field in FIELDS:
            value = campaign.get(field)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
                raise BadRequest(f"campaigns[{i}].{field} must be an integer from 0 to 1000000000")
        rows.append([campaign["visits"], campaign["purchases"]])
    return np.array(rows, dtype=float).reshape(-1, 2)


def run(raw):
    try:
        body = json.loads(raw)
        counts = _counts(body.get("campaigns") if isinstance(body, dict) else None)
    except (ValueError, BadRequest) as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = counts[:, 1] / counts[:, 0]  # the bug: 0 visits gives NaN (0/0) or Infinity
    return {"conversion": [round(float(r), 6) for r in rates], "total_visits": int(counts[:, 0].sum())}
