"""Uses both import styles of the legacy azureml.contrib.services modules."""

import azureml.contrib.services.aml_response
from azureml.contrib.services.aml_request import AMLRequest, rawhttp


def init():
    pass


@rawhttp
def run(request):
    body = {"ok": True, "method": request.method, "request_class": AMLRequest.__name__}
    return azureml.contrib.services.aml_response.AMLResponse(body, 200, json_str=True)
