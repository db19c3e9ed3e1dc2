"""Order quotes, undecorated. Planted bug: a coupon without a currency raises KeyError.

`coupon` and `currency` are both optional; the fixtures send neither, a currency alone, or both. The code
that applies a coupon assumes the currency is there too.

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


class Invalid(ValueError):
    pass


def _check(body):
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise Invalid(f"items must be a list of 1 to {MAX_ITEMS} objects")
    for i, item in enumerate(items):
        price = item.get("price") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price <= 1e6:
            raise Invalid(f"items[{i}].price must be a number from 0 to 1000000")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
            raise Invalid(f"items[{i}].quantity must be an integer from 1 to 1000")
    if "currency" in body and body["currency"] not in RATES:
        raise Invalid(f"currency must be one of {sorted(RATES)}")
    if "coupon" in body and body["coupon"] not in COUPONS:
        raise Invalid("unknown coupon")


def _total(body):
    currency = body.get("currency", "EUR")
    total = math.fsum(item["price"] * item["quantity"] for item in body["items"]) * RATES[currency]
    if "coupon" in body:
        # the bug: the minimum order is converted with body["currency"], which is absent when EUR is implied
        minimum = COUPON_MINIMUM_EUR * RATES[body["currency"]]
        if total >= minimum:
            total *= 1 - COUPONS[body["coupon"]]
    return round(total, 2), currency


def run(raw):
    try:
        body = json.loads(raw)
        _check(body)
    except ValueError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    total, currency = _total(body)
    return {"total": total, "currency": currency}
