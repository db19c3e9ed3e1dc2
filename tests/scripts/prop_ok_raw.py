"""scorecheck property test script, correct: @rawhttp, takes any binary body and describes it.

POST: `{"bytes": n, "sha256": hex, "zeros": count}`; an empty body gets a 400, other methods a 405.
"""

import hashlib

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


@rawhttp
def run(request: AMLRequest):
    if request.method != "POST":
        return AMLResponse({"message": "use POST"}, 405, json_str=True)
    body = request.get_data()
    if not body:
        return AMLResponse({"message": "the body is empty"}, 400, json_str=True)
    summary = {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(), "zeros": body.count(0)}
    return AMLResponse(summary, 200, json_str=True)
