"""Unit tests for the upstream API surface: AMLResponse, rawhttp/AMLRequest and the import aliases."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Iterator

import azmlinfsrv.compat.aml_request as our_request
import azmlinfsrv.compat.aml_response as our_response
import azmlinfsrv.log_format as our_log_format
import flask
import pytest
from azmlinfsrv.compat import aliases
from azmlinfsrv.compat.aml_request import AMLRequest, RawHttpFlag, rawhttp
from azmlinfsrv.compat.aml_response import AMLResponse

ALIASED = {
    "azureml.contrib.services.aml_request": our_request,
    "azureml.contrib.services.aml_response": our_response,
    "azureml_inference_server_http.api.aml_request": our_request,
    "azureml_inference_server_http.api.aml_response": our_response,
    "azureml_inference_server_http.log_config": our_log_format,
}
ALIAS_ROOTS = ("azureml", "azureml_inference_server_http")


@pytest.fixture(autouse=True)
def reset_rawhttp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RawHttpFlag, "enabled", False)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """aliases.install() for one test: sys.meta_path and the alias modules are restored afterwards."""
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    for module in set(ALIASED.values()):
        # The import system re-labels an aliased module's __spec__; put the original back afterwards.
        monkeypatch.setattr(module, "__spec__", module.__spec__)
    before = set(sys.modules)
    aliases.install()
    yield
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ALIAS_ROOTS:
            del sys.modules[name]


# --- AMLResponse ---------------------------------------------------------------------------------------------


def test_none_message_is_empty_json_object() -> None:
    response = AMLResponse(None, 200)
    assert response.get_data() == b"{}"
    assert response.mimetype == "application/json"
    assert response.status_code == 200


def test_json_str_dumps_the_message() -> None:
    response = AMLResponse({"a": [1, 2]}, 201, json_str=True)
    assert response.get_data() == b'{"a": [1, 2]}'
    assert json.loads(response.get_data()) == {"a": [1, 2]}
    assert response.mimetype == "application/json"
    assert response.status_code == 201


@pytest.mark.parametrize(("message", "json_str"), [(None, False), ({"a": 1}, True)])
def test_user_content_type_is_ignored_for_json(message: object, json_str: bool) -> None:
    response = AMLResponse(message, 200, {"Content-Type": "text/plain", "X-Keep": "1"}, json_str=json_str)
    assert response.headers.getlist("Content-Type") == ["application/json"]
    assert response.headers["X-Keep"] == "1"


def test_string_message_defaults_to_html() -> None:
    response = AMLResponse("hello", 200)
    assert response.get_data() == b"hello"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("name", ["Content-Type", "content-type", "CONTENT-TYPE"])
def test_content_type_header_replaces_the_default(name: str) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    response = AMLResponse(png, 200, {name: "image/png"})
    assert response.get_data() == png
    assert response.headers.getlist("Content-Type") == ["image/png"]


def test_header_values_are_split_on_commas() -> None:
    response = AMLResponse("ok", 200, {"X-Custom": "a, b", "X-Single": "c", "X-Number": 5})
    assert response.headers.getlist("X-Custom") == ["a", "b"]
    assert response.headers.getlist("X-Single") == ["c"]
    assert response.headers.getlist("X-Number") == ["5"]


@pytest.mark.parametrize("status", [200, 333, 444, 499])
def test_any_status_below_500_is_not_a_failure(status: int) -> None:
    response = AMLResponse("x", status)
    assert response.status_code == status
    assert response.run_function_failed is False


@pytest.mark.parametrize("status", [500, 503, 599])
def test_status_500_and_above_is_a_failure(status: int) -> None:
    response = AMLResponse("bad thing", status)
    assert response.status_code == status
    assert response.get_data() == b"bad thing"
    assert response.run_function_failed is True


def test_run_function_failed_flag() -> None:
    assert AMLResponse("x", 200, run_function_failed=True).run_function_failed is True


def test_keyword_names_are_api() -> None:
    response = AMLResponse(
        message={"k": 1},
        status_code=202,
        response_headers={"X-A": "1"},
        json_str=True,
        run_function_failed=False,
    )
    assert (response.status_code, response.get_data(), response.headers["X-A"]) == (202, b'{"k": 1}', "1")
    assert isinstance(response, flask.Response)


def test_generator_body_streams() -> None:
    def items() -> Iterator[str]:
        yield "one\n"
        yield "two\n"

    response = AMLResponse(items(), 200, {"Content-Type": "text/plain"})
    assert response.is_streamed
    assert list(response.response) == ["one\n", "two\n"]
    assert response.headers["Content-Type"] == "text/plain"


def test_script_can_set_mimetype() -> None:
    response = AMLResponse("a,b", 200)
    response.mimetype = "text/csv"
    assert response.mimetype == "text/csv"


# --- rawhttp / AMLRequest ----------------------------------------------------------------------------------


def test_rawhttp_returns_the_function_and_sets_the_flag() -> None:
    def run(request: object) -> object:
        return request

    assert RawHttpFlag.enabled is False
    assert rawhttp(run) is run
    assert RawHttpFlag.enabled is True


def test_aml_request_is_a_flask_request() -> None:
    assert issubclass(AMLRequest, flask.Request)


# --- import aliases -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALIASED))
def test_alias_import_gives_our_module(installed: None, name: str) -> None:
    assert importlib.import_module(name) is ALIASED[name]
    assert sys.modules[name] is ALIASED[name]


def test_plain_import_statement_works(installed: None) -> None:
    import azureml.contrib.services.aml_response

    assert azureml.contrib.services.aml_response.AMLResponse is AMLResponse


def test_from_imports_give_our_objects(installed: None) -> None:
    from azureml.contrib.services.aml_request import AMLRequest as Aliased
    from azureml.contrib.services.aml_request import rawhttp as aliased_rawhttp
    from azureml_inference_server_http.api.aml_response import AMLResponse as AliasedResponse
    from azureml_inference_server_http.log_config import AMLLogFormatter, RootAccessFilter

    assert Aliased is AMLRequest
    assert aliased_rawhttp is rawhttp
    assert AliasedResponse is AMLResponse
    assert AMLLogFormatter is our_log_format.AMLLogFormatter
    assert RootAccessFilter is our_log_format.RootAccessFilter


def test_aliased_rawhttp_sets_the_same_flag(installed: None) -> None:
    from azureml.contrib.services.aml_request import rawhttp as aliased_rawhttp

    aliased_rawhttp(lambda request: request)
    assert RawHttpFlag.enabled is True


def test_unknown_names_under_the_alias_roots_still_fail(installed: None) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("azureml.contrib.services.not_a_module")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("azureml.core")


def test_install_is_idempotent(installed: None) -> None:
    count = len(sys.meta_path)
    aliases.install()
    assert len(sys.meta_path) == count
