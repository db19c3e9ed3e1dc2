"""run() sets its own CORS header; started with --access_control_allow_origins in the differential suite."""

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def run(data):
    return AMLResponse("scored", 200, {"Access-Control-Allow-Origin": "https://script.example"})
