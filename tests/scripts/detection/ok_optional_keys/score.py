"""Correct order quotes: `currency` and `coupon` are optional in every combination.

Request:  {"items": [{"price": 10.0, "quantity": 2}], "currency": "EUR"?, "coupon": "SPRING10"?}
Response: {"total": 20.0, "currency": "EUR"}
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse

MAX_ITEMS = 100
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86}
COUPONS = {"SPRING10": 0.10, "VIP25": 0.25}
COUPON_MINIMUM_EUR = 50.0


def init():
    pass


def _items(items):
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValueError(f"items must be a list of 1 to {MAX_ITEMS} objects")
    amounts = []
    for i, item in enumerate(items):
        price = item.get("price") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price <= 1e6:
            raise ValueError(f"items[{i}].price must be a number from 0 to 1000000")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
            raise ValueError(f"items[{i}].quantity must be an integer from 1 to 1000")
        amounts.append(price * quantity)
    return math.fsum(amounts)


def run(raw):
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        net = _items(body.get("items"))
        currency, coupon = body.get("currency", "EUR"), body.get("coupon")
        if currency not in RATES:
            raise ValueError(f"currency must be one of {sorted(RATES)}")
        if coupon is not None and coupon not in COUPONS:
            raise ValueError("unknown coupon")
    except ValueError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    if coupon is not None and net >= COUPON_MINIMUM_EUR:
        net *= 1 - COUPONS[coupon]
    return {"total": round(net * RATES[currency], 2), "currency": currency}
