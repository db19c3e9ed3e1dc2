"""Reorder quantities from stock levels, undecorated. Planted bug: a negative stock level kills the worker.

The "native" forecasting routine stands for a C extension that aborts the process on a negative input
(os._exit, as a segfault would): the worker dies and gunicorn boots another one.

Request:  {"stock": [units, ...], "lead_time_days": 7}  (at most 1000 items, units up to 1e6)
Response: {"reorder": [units, ...]}
"""

import json
import os

from azureml.contrib.services.aml_response import AMLResponse

MAX_ITEMS = 1000
DAILY_DEMAND = 12.5


def init():
    pass


def _native_forecast(level, lead_time):
    if level < 0:
        os._exit(139)  # the bug: the native routine crashes the process instead of raising
    return max(0, round(DAILY_DEMAND * lead_time - level))


def run(raw):
    try:
        body = json.loads(raw)
        stock = body["stock"]
        lead_time = body.get("lead_time_days", 7)
    except (ValueError, TypeError, KeyError):
        return AMLResponse({"message": 'expected {"stock": [units, ...], "lead_time_days": n}'}, 400, json_str=True)
    if isinstance(lead_time, bool) or not isinstance(lead_time, int) or not 1 <= lead_time <= 90:
        return AMLResponse({"message": "lead_time_days must be an integer from 1 to 90"}, 400, json_str=True)
    if not isinstance(stock, list) or len(stock) > MAX_ITEMS:
        return AMLResponse({"message": f"stock must be a list of at most {MAX_ITEMS} levels"}, 400, json_str=True)
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e6 for v in stock):
        return AMLResponse({"message": "each stock level must be a number up to 1000000"}, 400, json_str=True)
    return {"reorder": [_native_forecast(float(level), lead_time) for level in stock]}
