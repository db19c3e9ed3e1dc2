"""scorecheck property test script: answers its first request (the fixture's replay), refuses every later one.

`{"data": [numbers]}` -> `{"total": ...}` once; then 400 for everything, so the property phase never sees a 2xx
and cannot check the output schema. One worker (the server's default) keeps one count.
"""

import json

from azureml.contrib.services.aml_response import AMLResponse

calls = 0


def init():
    pass


def run(data):
    global calls
    calls += 1
    if calls > 1:
        return AMLResponse({"message": "refused: this script answers one request only"}, 400, json_str=True)
    return {"total": float(sum(json.loads(data)["data"]))}
