"""Temperature trend of a sensor series, undecorated. Planted bug: one reading answers "slope": "n/a".

Request:  {"sensor": "t-17", "readings": [21.5, 21.9, ...]}  (1 to 1000 readings, -80..80 degrees)
Response: {"sensor": "t-17", "mean": 21.7, "slope": 0.4}
"""

import json
import math

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def _refuse(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _slope(values):
    count = len(values)
    if count < 2:
        return "n/a"  # the bug: every other answer has a number here
    mean_x = (count - 1) / 2
    mean_y = math.fsum(values) / count
    num = math.fsum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = math.fsum((i - mean_x) ** 2 for i in range(count))
    return round(num / den, 4)


def run(raw):
    try:
        body = json.loads(raw)
    except ValueError:
        return _refuse("the body is not JSON")
    if not isinstance(body, dict):
        return _refuse("the body must be a JSON object")
    sensor, readings = body.get("sensor"), body.get("readings")
    if not isinstance(sensor, str) or not 1 <= len(sensor) <= 40:
        return _refuse("sensor must be a string of 1 to 40 characters")
    if not isinstance(readings, list) or not 1 <= len(readings) <= 1000:
        return _refuse("readings must be a list of 1 to 1000 numbers")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not -80 <= v <= 80 for v in readings):
        return _refuse("each reading must be a number between -80 and 80")
    values = [float(v) for v in readings]
    return {"sensor": sensor, "mean": round(math.fsum(values) / len(values), 4), "slope": _slope(values)}
