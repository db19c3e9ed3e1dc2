"""@rawhttp introspection: reports what kind of object run() receives and what it reads from it.

Production hands run() a plain flask.Request, so `isinstance(request, AMLRequest)` is False there.
"""

import flask
from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def _json(request):
    try:
        return request.get_json(silent=True)
    except Exception as exc:  # any failure is part of the report
        return f"{type(exc).__name__}"


@rawhttp
def run(request):
    report = {
        "is_aml_request": isinstance(request, AMLRequest),
        "is_flask_request": isinstance(request, flask.Request),
        "type": type(request).__name__,
        "method": request.method,
        "path": request.path,
        "args": request.args.to_dict(flat=False),
        "form": request.form.to_dict(flat=False),
        "files": sorted(request.files.keys()),
        "mimetype": request.mimetype,
        "is_json": request.is_json,
        "json": _json(request),
        "data": request.get_data().decode("utf-8", "replace"),
    }
    return AMLResponse(report, 200, json_str=True)
