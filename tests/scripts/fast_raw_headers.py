"""A @rawhttp run() that also takes request_headers."""

from azureml.contrib.services.aml_request import rawhttp


def init():
    pass


@rawhttp
def run(request, request_headers):
    return {"method": request.method, "body": request.get_data(as_text=True), "headers": request_headers}
