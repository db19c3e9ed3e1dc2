"""Unit tests for azmlinfsrv.modes: the arguments run() receives in the JSON-string, schema and raw modes."""

from __future__ import annotations

import inspect
import json
import logging
import types
from typing import Any, Dict, Iterator, Optional, Tuple
from urllib.parse import quote

import flask
import pytest
from azmlinfsrv.script.entry import EntryScript
from azmlinfsrv.script.modes import InputError, query_as_dict, run_kwargs

EMPTY = inspect.Parameter.empty
APP = flask.Flask("test_modes")


@pytest.fixture(autouse=True)
def server_logs_reach_caplog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "disabled", False)


def entry(
    mode: str,
    params: Tuple[Tuple[str, Any], ...] = (("data", EMPTY),),
    wants_headers: bool = False,
) -> EntryScript:
    return EntryScript(
        path=None,
        module=types.ModuleType("fake_entry"),
        init=lambda: None,
        run=lambda **kwargs: kwargs,
        mode=mode,
        data_param=params[0][0],
        wants_headers=wants_headers,
        params=params,
    )


JSON = entry("json")
SCHEMA = entry("schema", (("data", EMPTY), ("scale", 1.0)))


@pytest.fixture
def request_for() -> Iterator[Any]:
    contexts = []

    def make(
        method: str = "POST",
        data: Optional[bytes] = None,
        content_type: Optional[str] = None,
        query: str = "",
        headers: Optional[Dict[str, str]] = None,
    ) -> flask.Request:
        context = APP.test_request_context(
            "/score",
            method=method,
            data=data,
            content_type=content_type,
            query_string=query,
            headers=headers or {},
        )
        context.push()
        contexts.append(context)
        return flask.request._get_current_object()  # type: ignore[attr-defined]

    yield make
    for context in reversed(contexts):
        context.pop()


def input_error(entry_script: EntryScript, request: flask.Request) -> InputError:
    with pytest.raises(InputError) as info:
        run_kwargs(entry_script, request)
    return info.value


# --- JSON-string mode ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"x":1}', "application/json"),
        (b"{bad json", "application/json"),
        (b"plain words", "text/plain"),
        (b'{"x": 1}', None),
        ("caf\u00e9".encode(), "application/octet-stream"),
        (b"", "application/json"),
    ],
)
def test_json_mode_passes_the_body_unparsed(
    request_for: Any, body: bytes, content_type: Optional[str]
) -> None:
    kwargs = run_kwargs(JSON, request_for(data=body, content_type=content_type))
    assert kwargs == {"data": body.decode("utf-8")}
    assert isinstance(kwargs["data"], str)


def test_json_mode_non_utf8_is_400(request_for: Any) -> None:
    error = input_error(JSON, request_for(data=b"\xff\xfe", content_type="application/octet-stream"))
    assert error.status == 400
    assert error.message == (
        "Input cannot be decoded as UTF-8: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"a=1&b=2", "application/x-www-form-urlencoded"),
        (
            b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XX--\r\n',
            "multipart/form-data; boundary=XX",
        ),
    ],
)
def test_json_mode_form_body_becomes_empty_with_warning(
    request_for: Any, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    assert run_kwargs(JSON, request_for(data=body, content_type=content_type)) == {"data": ""}
    warnings = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "azmlinfsrv"
    ]
    assert len(warnings) == 1
    assert "@rawhttp" in warnings[0]


def test_json_mode_plain_body_gives_no_warning(request_for: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    run_kwargs(JSON, request_for(data=b"{}", content_type="application/json"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_json_mode_get_dumps_the_query(request_for: Any) -> None:
    request = request_for(method="GET", query="a=1&b=[1,2]&c=x&c=y&d=null")
    assert run_kwargs(JSON, request) == {"data": '{"a": 1, "b": [1, 2], "c": ["x", "y"], "d": null}'}


def test_json_mode_bare_get_is_empty_object(request_for: Any) -> None:
    assert run_kwargs(JSON, request_for(method="GET")) == {"data": "{}"}


def test_data_parameter_name_is_used(request_for: Any) -> None:
    script = entry("json", (("input_data", EMPTY),))
    assert run_kwargs(script, request_for(data=b"x", content_type="text/plain")) == {"input_data": "x"}


def test_request_headers_are_title_case(request_for: Any) -> None:
    script = entry("json", wants_headers=True)
    request = request_for(data=b"{}", content_type="application/json", headers={"x-foo": "bar"})
    kwargs = run_kwargs(script, request)
    assert kwargs["data"] == "{}"
    headers = kwargs["request_headers"]
    assert isinstance(headers, dict)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Foo"] == "bar"
    assert "x-foo" not in headers


def test_no_request_headers_unless_asked(request_for: Any) -> None:
    assert "request_headers" not in run_kwargs(JSON, request_for(data=b"{}"))


# --- query parsing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {}),
        ("a=hello", {"a": "hello"}),
        ("n=1.5&t=true&f=false", {"n": 1.5, "t": True, "f": False}),
        ("s=%22quoted%22", {"s": "quoted"}),
        ("o=" + quote('{"k": [1, 2]}'), {"o": {"k": [1, 2]}}),
        ("c=1&c=two&c=3", {"c": [1, "two", 3]}),
        ("e=", {"e": ""}),
        ("bad={oops", {"bad": "{oops"}),
    ],
)
def test_query_as_dict(request_for: Any, query: str, expected: Dict[str, Any]) -> None:
    assert query_as_dict(request_for(method="GET", query=query)) == expected


# --- schema mode ---------------------------------------------------------------------------------------------


def test_schema_mode_reads_parameters(request_for: Any) -> None:
    body = json.dumps({"data": [{"a": 1}], "scale": 2.5, "extra": "ignored"}).encode()
    kwargs = run_kwargs(SCHEMA, request_for(data=body, content_type="application/json"))
    assert kwargs == {"data": [{"a": 1}], "scale": 2.5}


def test_schema_mode_default_used_when_missing(request_for: Any) -> None:
    kwargs = run_kwargs(SCHEMA, request_for(data=b'{"data": 1}', content_type="application/json"))
    assert kwargs == {"data": 1, "scale": 1.0}


def test_schema_mode_explicit_null_is_passed(request_for: Any) -> None:
    kwargs = run_kwargs(
        SCHEMA, request_for(data=b'{"data": null, "scale": null}', content_type="application/json")
    )
    assert kwargs == {"data": None, "scale": None}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON"],
)
def test_schema_mode_accepted_content_types(request_for: Any, content_type: str) -> None:
    kwargs = run_kwargs(SCHEMA, request_for(data=b'{"data": 1}', content_type=content_type))
    assert kwargs["data"] == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", None, "text/json", "application/jsonx", "application/xml"]
)
def test_schema_mode_other_content_types_are_415(request_for: Any, content_type: Optional[str]) -> None:
    error = input_error(SCHEMA, request_for(data=b'{"data": 1}', content_type=content_type))
    assert (error.status, error.message) == (415, "Expects Content-Type to be application/json")


def test_schema_mode_empty_body(request_for: Any) -> None:
    error = input_error(SCHEMA, request_for(data=b"", content_type="application/json"))
    assert (error.status, error.message) == (400, "POST body is empty. Expecting a JSON dictionary.")


def test_schema_mode_bad_json(request_for: Any) -> None:
    error = input_error(SCHEMA, request_for(data=b"{bad json", content_type="application/json"))
    assert error.status == 400
    expected_detail = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    assert error.message == f"POST body could not be decoded as JSON: {expected_detail}"


@pytest.mark.parametrize("body", [b"[1, 2]", b"null", b"3", b'"text"'])
def test_schema_mode_not_an_object(request_for: Any, body: bytes) -> None:
    error = input_error(SCHEMA, request_for(data=body, content_type="application/json"))
    assert (error.status, error.message) == (400, "POST body should be a JSON dictionary.")


def test_schema_mode_missing_required_parameter(request_for: Any) -> None:
    error = input_error(SCHEMA, request_for(data=b'{"scale": 2}', content_type="application/json"))
    assert (error.status, error.message) == (400, "A value is not provided for the 'data' parameter.")


def test_schema_mode_get_uses_the_query(request_for: Any) -> None:
    query = "data=" + quote(json.dumps([{"a": 1, "b": "x"}])) + "&scale=2"
    kwargs = run_kwargs(SCHEMA, request_for(method="GET", query=query))
    assert kwargs == {"data": [{"a": 1, "b": "x"}], "scale": 2}


def test_schema_mode_get_without_required_parameter(request_for: Any) -> None:
    error = input_error(SCHEMA, request_for(method="GET", query="scale=2"))
    assert (error.status, error.message) == (400, "A value is not provided for the 'data' parameter.")


def test_schema_mode_request_headers(request_for: Any) -> None:
    script = entry("schema", (("data", EMPTY),), wants_headers=True)
    request = request_for(
        data=b'{"data": 1, "request_headers": "no"}',
        content_type="application/json",
        headers={"X-Foo": "bar"},
    )
    kwargs = run_kwargs(script, request)
    assert kwargs["data"] == 1
    assert kwargs["request_headers"]["X-Foo"] == "bar"


# --- raw mode --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS", "HEAD"])
def test_raw_mode_passes_the_request(request_for: Any, method: str) -> None:
    script = entry("raw", (("request", EMPTY),), wants_headers=True)
    request = request_for(method=method, data=b"\xff" if method == "POST" else None)
    kwargs = run_kwargs(script, request)
    assert kwargs["request"] is request
    assert isinstance(kwargs["request_headers"], dict)
