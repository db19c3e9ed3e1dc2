"""A @rawhttp run() that never names flask (so the fast path serves it); the query parameter `kind` chooses the
outcome, and `introspect` reports everything run() can read from the request object it received.
"""

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
KEPT = []


def init():
    pass


def _json(request):
    try:
        return request.get_json()
    except Exception as exc:  # the failure is part of the report
        return f"{type(exc).__name__}: {exc}"


def _files(request):
    return {
        name: [f.filename, f.mimetype, f.read().decode("utf-8", "replace")]
        for name, f in request.files.items()
    }


def _introspect(request):
    return {
        "is_aml_request": isinstance(request, AMLRequest),
        "type": type(request).__name__,
        "repr": repr(request),
        "method": request.method,
        "url": request.url,
        "host": request.host,
        "args": request.args.to_dict(flat=False),
        "form": request.form.to_dict(flat=False),
        "files": _files(request),
        "mimetype": request.mimetype,
        "is_json": request.is_json,
        "json": _json(request),
        "data": request.get_data().decode("utf-8", "replace"),
        "headers": dict(request.headers),
        "endpoint": request.endpoint,
        "rule": str(request.url_rule),
        "view_args": request.view_args,
        "limits": [request.max_content_length, request.max_form_memory_size, request.max_form_parts],
    }


def _kept():
    """The request object of an earlier request, read after that request ended."""
    try:
        return {"method": KEPT[0].method}
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc).splitlines()[0]}


def _cookie(request):
    response = AMLResponse("with cookie", 200)
    response.set_cookie("session", "abc", httponly=True)
    return response


def _stream(request):
    return AMLResponse((part for part in [b"streamed ", b"body"]), 200, {"Content-Type": "text/plain"})


OUTCOMES = {
    "bytes": lambda r: b"raw bytes",
    "str": lambda r: "a string",
    "dict": lambda r: {"method": r.method, "body": r.get_data(as_text=True)},
    "none": lambda r: None,
    "set": lambda r: {1, 2},
    "png": lambda r: AMLResponse(PNG, 200, {"Content-Type": "image/png"}),
    "error": lambda r: AMLResponse("bad thing", 500),
    "header": lambda r: AMLResponse("ok", 200, {"X-Custom": "a, b"}),
    "flagged": lambda r: AMLResponse("flagged", 200, run_function_failed=True),
    "status": lambda r: AMLResponse("teapot-ish", 444),
    "empty": lambda r: AMLResponse(None, 200, {"Content-Type": "text/plain"}),
    "jsonstr": lambda r: AMLResponse({"k": [1, 2]}, 201, {"Content-Type": "text/plain"}, json_str=True),
    "location": lambda r: AMLResponse("moved", 302, {"Location": "/elsewhere"}),
    "no-content": lambda r: AMLResponse(None, 204),
    "cookie": _cookie,
    "stream": _stream,
    "introspect": _introspect,
    "kept": lambda r: _kept(),
}


@rawhttp
def run(request):
    kind = request.args.get("kind", "dict")
    if kind == "raise":
        raise ValueError("run() failed on purpose")
    if kind == "strict-json":
        return request.get_json()  # a body that is not JSON: werkzeug's BadRequest, raised in run()
    if kind == "print":
        print("printed by run()")
    if kind == "keep":
        KEPT[:] = [request]
    return OUTCOMES.get(kind, OUTCOMES["dict"])(request)
