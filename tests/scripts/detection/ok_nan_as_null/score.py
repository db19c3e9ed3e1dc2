"""Correct: conversion rates that follow the server's advice and answer null where a rate is undefined.

A campaign with 0 visits has no conversion rate; the script returns None there (JSON null) rather than
NaN, as the server's warning recommends.

Request:  {"campaigns": [{"visits": 120, "purchases": 6}, ...]}  (at most 100, counts 0..1e9)
Response: {"conversion": [0.05, null, ...], "total_visits": 120}
"""

import json

from azureml.contrib.services.aml_response import AMLResponse

MAX_CAMPAIGNS = 100


def init():
    pass


def _count(campaign, field):
    value = campaign.get(field) if isinstance(campaign, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise ValueError(f"{field} must be an integer from 0 to 1000000000")
    return value


def _rate(campaign):
    visits, purchases = _count(campaign, "visits"), _count(campaign, "purchases")
    return visits, (round(purchases / visits, 6) if visits else None)


def run(raw):
    try:
        body = json.loads(raw)
        campaigns = body.get("campaigns") if isinstance(body, dict) else None
        if not isinstance(campaigns, list) or len(campaigns) > MAX_CAMPAIGNS:
            raise ValueError(f"campaigns must be a list of at most {MAX_CAMPAIGNS} objects")
        pairs = [_rate(campaign) for campaign in campaigns]
    except ValueError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    return {"conversion": [rate for _, rate in pairs], "total_visits": sum(visits for visits, _ in pairs)}
