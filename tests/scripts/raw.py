"""Conformance sample `raw`: @rawhttp; the query parameter `kind` chooses the behaviour.

kind=png     AMLResponse(PNG bytes, 200, {"Content-Type": "image/png"})
kind=error   AMLResponse("bad thing", 500)
kind=stream  a generator of 5 items, 1 s apart
kind=header  a header whose value holds a comma: "X-Custom": "a, b"
kind=flagged AMLResponse("flagged", 200, run_function_failed=True)
kind=status  AMLResponse("teapot-ish", 444)
kind=none    AMLResponse(None, 200, {"Content-Type": "text/plain"})
kind=jsonstr AMLResponse({"k": [1, 2]}, 201, {"Content-Type": "text/plain"}, json_str=True)
kind=flask   a plain flask.Response("plain flask", status=202, mimetype="text/plain")
otherwise    echo of what run() received (JSON body, plus X-Echo-Method / X-Echo-Path headers)
"""

import time

import flask
from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def init():
    pass


def _stream():
    for index in range(5):
        if index:
            time.sleep(1)
        yield f"item{index}\n"


def _echo(request):
    payload = {
        "is_flask_request": isinstance(request, flask.Request),
        "method": request.method,
        "path": request.path,
        "args": request.args.to_dict(flat=False),
        "body": request.get_data().decode("utf-8", "replace"),
        "headers": dict(request.headers),
    }
    headers = {"X-Echo-Method": request.method, "X-Echo-Path": request.path}
    return AMLResponse(payload, 200, headers, json_str=True)


@rawhttp
def run(request):
    kind = request.args.get("kind", "echo")
    if kind == "png":
        return AMLResponse(PNG, 200, {"Content-Type": "image/png"})
    if kind == "error":
        return AMLResponse("bad thing", 500)
    if kind == "stream":
        return AMLResponse(_stream(), 200, {"Content-Type": "text/plain"})
    if kind == "header":
        return AMLResponse("ok", 200, {"X-Custom": "a, b"})
    if kind == "flagged":
        return AMLResponse("flagged", 200, run_function_failed=True)
    if kind == "status":
        return AMLResponse("teapot-ish", 444)
    if kind == "none":
        return AMLResponse(None, 200, {"Content-Type": "text/plain"})
    if kind == "flask":
        return flask.Response("plain flask", status=202, mimetype="text/plain")
    if kind == "jsonstr":
        return AMLResponse({"k": [1, 2]}, 201, {"Content-Type": "text/plain"}, json_str=True)
    return _echo(request)
