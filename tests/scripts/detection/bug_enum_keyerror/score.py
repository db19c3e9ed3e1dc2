"""Delivery estimates, undecorated. Planted bug: a region the table does not know raises KeyError.

The script checks that `region` is a short string but looks it up without checking membership, so any
other value (an empty string included) is a 500 instead of a 400.

Request:  {"parcels": [{"region": "north", "weight_kg": 2.5}, ...]}  (at most 50 parcels, 0 < kg <= 40)
Response: {"days": [2, ...]}
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse

MAX_PARCELS = 50
BASE_DAYS = {"north": 2, "south": 3, "east": 2, "west": 4, "islands": 6}


def init():
    pass


def _refuse(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _days(parcel):
    extra = math.ceil(parcel["weight_kg"] / 20)
    return BASE_DAYS[parcel["region"]] + extra  # the bug: no membership check before the lookup


def run(raw):
    try:
        parcels = json.loads(raw).get("parcels")
    except (ValueError, AttributeError):
        return _refuse('expected {"parcels": [{"region": ..., "weight_kg": ...}]}')
    if not isinstance(parcels, list) or len(parcels) > MAX_PARCELS:
        return _refuse(f"parcels must be a list of at most {MAX_PARCELS} objects")
    for i, parcel in enumerate(parcels):
        if not isinstance(parcel, dict):
            return _refuse(f"parcels[{i}] must be an object")
        region, weight = parcel.get("region"), parcel.get("weight_kg")
        if not isinstance(region, str) or len(region) > 20:
            return _refuse(f"parcels[{i}].region must be a region name")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 40:
            return _refuse(f"parcels[{i}].weight_kg must be more than 0 and at most 40")
    return {"days": [_days(parcel) for parcel in parcels]}
