from __future__ import annotations

import functools
import importlib.util
import json
import logging
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest
from azmlinfsrv.web.swagger import (
    SwaggerDocuments,
    SwaggerSettings,
    build_swaggers,
    format_versions,
    path_prefix,
)
from inference_schema.parameter_types.abstract_parameter_type import AbstractParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema
from support import SCHEMA_SERVICE_INPUT

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "swagger"
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
LOGGER_NAME = "tests.swagger"


@functools.cache
def load_run(script: str) -> Callable[..., Any]:
    # Loaded once per session: inference-schema registers schemas by module and function name
    # and refuses a second @output_schema for the same key.
    spec = importlib.util.spec_from_file_location(f"swagger_test_{script}", SCRIPTS / f"{script}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run: Callable[..., Any] = module.run
    return run


def expected(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def build(run: Callable[..., Any], tmp_path: Path, **settings: str) -> SwaggerDocuments:
    return build_swaggers(
        SwaggerSettings(app_root=str(tmp_path), **settings), run, logging.getLogger(LOGGER_NAME)
    )


def served(docs: SwaggerDocuments, version: Optional[str]) -> Any:
    status, text = docs.lookup(version)
    assert status == 200, text
    return json.loads(text)


def schemas(document: Dict[str, Any]) -> Dict[str, Any]:
    if "definitions" in document:
        return dict(document["definitions"])
    return dict(document["components"]["schemas"])


# Defined at module level so that inference-schema registers each exactly once.
@input_schema("data", StandardPythonParameterType([{"a": 1, "b": "x"}]))
@input_schema("scale", StandardPythonParameterType(2.0))
def schema_run(data: Any, scale: float = 1.0) -> Any:
    return data


@input_schema("data", StandardPythonParameterType({"x": 1}))
def headers_run(data: Any, request_headers: Any) -> Any:
    return data


class OpaqueType(AbstractParameterType):  # type: ignore[misc]
    """A custom parameter type whose example JSON cannot encode."""

    def deserialize_input(self, input_data: Any) -> Any:
        return input_data

    def input_to_swagger(self) -> Dict[str, Any]:
        return {"type": "object", "example": self.sample_input}


@input_schema("data", OpaqueType(object()))
def opaque_run(data: Any) -> Any:
    return data


def _self_referencing_run() -> Callable[..., Any]:
    def run(data: Any) -> Any:
        return run if data is None else data

    return run


# --- documents equal to the upstream files --------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "version", "prefix", "filename"),
    [
        ("swagger_decorated", None, "", "expected_swagger2.json"),
        ("swagger_decorated", "2", "", "expected_swagger2.json"),
        ("swagger_decorated", "2.0", "", "expected_swagger2.json"),
        ("swagger_decorated", "3", "", "expected_swagger3.json"),
        ("swagger_decorated", "3.0", "", "expected_swagger3.json"),
        ("swagger_decorated", "3.1", "", "expected_swagger3.1.json"),
        ("swagger_decorated", None, "test", "expected_swagger_prefix_case.json"),
        ("swagger_decorated", "2", "/test/", "expected_swagger_prefix_case.json"),
        ("swagger_undecorated", None, "", "expected_swagger2_without_decorator.json"),
        ("swagger_undecorated", "3", "", "expected_swagger3_without_decorator.json"),
        ("swagger_undecorated", "3.1", "", "expected_swagger3.1_without_decorator.json"),
    ],
)
def test_matches_upstream_documents(
    script: str, version: Optional[str], prefix: str, filename: str, tmp_path: Path
) -> None:
    docs = build(load_run(script), tmp_path, path_prefix=prefix)
    assert served(docs, version) == expected(filename)


def test_v31_differs_from_v3_only_in_openapi(tmp_path: Path) -> None:
    docs = build(load_run("swagger_decorated"), tmp_path)
    v3, v31 = served(docs, "3"), served(docs, "3.1")
    assert (v3["openapi"], v31["openapi"]) == ("3.0.3", "3.1.0")
    assert {**v31, "openapi": "3.0.3"} == v3


def test_schema_script_service_input(tmp_path: Path) -> None:
    docs = build(schema_run, tmp_path)
    want = SCHEMA_SERVICE_INPUT
    for version in docs.versions:
        assert schemas(served(docs, version))["ServiceInput"] == want
    # No @output_schema: inference-schema's own default, not the undecorated placeholder.
    assert schemas(served(docs, "3"))["ServiceOutput"] == {"type": "object"}


def test_request_headers_parameter_is_documented_empty(tmp_path: Path) -> None:
    service_input = schemas(served(build(headers_run, tmp_path), "2"))["ServiceInput"]
    assert service_input["properties"]["request_headers"] == {}
    assert service_input["example"] == {"data": {"x": 1}, "request_headers": ""}


def test_building_twice_gives_the_same_documents(tmp_path: Path) -> None:
    # Guards against editing inference-schema's registry entries in place.
    first = build(schema_run, tmp_path)
    second = build(schema_run, tmp_path)
    for version in first.versions:
        assert first.lookup(version) == second.lookup(version)


# --- version parameter --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "key"),
    [
        (None, "swagger"),
        ("2", "swagger"),
        ("2.0", "swagger"),
        ("3", "openapi"),
        ("3.0", "openapi"),
        ("3.1", "openapi"),
    ],
)
def test_accepted_versions(version: Optional[str], key: str, tmp_path: Path) -> None:
    assert key in served(build(load_run("swagger_undecorated"), tmp_path), version)


@pytest.mark.parametrize("version", ["4", "3.2", "", "3.10", "v2", " 2", "2.00", "latest"])
def test_invalid_versions(version: str, tmp_path: Path) -> None:
    status, text = build(load_run("swagger_undecorated"), tmp_path).lookup(version)
    assert status == 404
    want = f"Swagger version [{version}] is not valid. Supported versions: [2, 3, 3.1]."
    assert text == json.dumps({"message": want})


def test_invalid_version_lists_only_available_versions(tmp_path: Path) -> None:
    status, text = build(load_run("swagger_mixed"), tmp_path).lookup("4")
    assert (status, json.loads(text)) == (
        404,
        {"message": "Swagger version [4] is not valid. Supported versions: [3, 3.1]."},
    )


@pytest.mark.parametrize(("version", "shown"), [("2", "2"), ("2.0", "2.0"), (None, "2")])
def test_mixed_sample_drops_v2(version: Optional[str], shown: str, tmp_path: Path) -> None:
    docs = build(load_run("swagger_mixed"), tmp_path)
    assert docs.versions == ("3", "3.1")
    status, text = docs.lookup(version)
    assert status == 404
    want = (
        f"Swagger version [{shown}] is not supported for the scoring script. "
        "Supported swagger versions: [3, 3.1]."
    )
    assert text == json.dumps({"message": want})
    assert served(docs, "3")["openapi"] == "3.0.3"


def test_lookup_serves_prebuilt_text(tmp_path: Path) -> None:
    docs = build(load_run("swagger_decorated"), tmp_path)
    assert docs.lookup("3")[1] is docs.lookup("3.0")[1]


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"), [("", ""), ("test", "/test"), ("/api/v1/", "/api/v1"), ("api/v1", "/api/v1"), ("/", "")]
)
def test_path_prefix(raw: str, want: str) -> None:
    assert path_prefix(raw) == want


def test_service_name_version_and_prefix(tmp_path: Path) -> None:
    docs = build(
        load_run("swagger_decorated"),
        tmp_path,
        service_name="Fraud model",
        service_version="2.5",
        path_prefix="/api/v1/",
    )
    for version in ("2", "3", "3.1"):
        document = served(docs, version)
        assert document["info"] == {
            "title": "Fraud model",
            "description": "API specification for the Azure Machine Learning service Fraud model",
            "version": "2.5",
        }
        assert list(document["paths"]) == ["/api/v1/", "/api/v1/score", "/api/v1/swagger.json"]


def test_format_versions() -> None:
    assert format_versions(("2", "3", "3.1")) == "[2, 3, 3.1]"
    assert format_versions(()) == "[]"


# --- user files ---------------------------------------------------------------------------------


def write(path: Path, document: Any) -> Any:
    path.write_text(json.dumps(document, indent=4), encoding="utf-8")
    return document


def test_swagger_json_beats_swagger2_json(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = write(tmp_path / "swagger.json", {"swagger": "2.0", "info": {"title": "first"}})
    write(tmp_path / "swagger2.json", {"swagger": "2.0", "info": {"title": "second"}})
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        docs = build(load_run("swagger_decorated"), tmp_path)
    assert served(docs, "2") == first
    assert served(docs, "3") == expected("expected_swagger3.json")
    path = tmp_path / "swagger.json"
    assert f"Loaded user's swagger file for version [2] from {path}" in caplog.messages


@pytest.mark.parametrize(
    ("filename", "version"), [("swagger2.json", "2"), ("swagger3.json", "3"), ("swagger3.1.json", "3.1")]
)
def test_user_file_per_version(
    filename: str, version: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = write(tmp_path / filename, {"custom": [1, 2.5, "é", None]})
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        docs = build(load_run("swagger_undecorated"), tmp_path)
    status, text = docs.lookup(version)
    assert status == 200
    assert text == json.dumps(document)
    assert f"Loaded user's swagger file for version [{version}] from {tmp_path / filename}" in caplog.messages
    for other in {"2", "3", "3.1"} - {version}:
        assert "custom" not in served(docs, other)


def test_user_file_makes_a_skipped_version_available(tmp_path: Path) -> None:
    write(tmp_path / "swagger2.json", {"swagger": "2.0"})
    docs = build(load_run("swagger_mixed"), tmp_path)
    assert docs.versions == ("2", "3", "3.1")
    assert served(docs, "2") == {"swagger": "2.0"}


def test_unparsable_user_file_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "swagger3.json"
    bad.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        docs = build(load_run("swagger_decorated"), tmp_path)
    assert served(docs, "3") == expected("expected_swagger3.json")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert str(bad) in errors[0].getMessage()


def test_unparsable_swagger_json_lets_swagger2_json_through(tmp_path: Path) -> None:
    (tmp_path / "swagger.json").write_bytes(b"\xff\xfe not utf-8")
    second = write(tmp_path / "swagger2.json", {"swagger": "2.0", "info": {"title": "second"}})
    assert served(build(load_run("swagger_decorated"), tmp_path), "2") == second


def test_user_file_with_bom(tmp_path: Path) -> None:
    (tmp_path / "swagger3.json").write_text('{"openapi": "3.0.0"}', encoding="utf-8-sig")
    assert served(build(load_run("swagger_decorated"), tmp_path), "3") == {"openapi": "3.0.0"}


# --- summary log line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_name", "message"),
    [
        ("swagger_decorated", "Swaggers are prepared for the following versions: [2, 3, 3.1]."),
        ("swagger_mixed", "Swaggers are prepared for versions [3, 3.1] and skipped for versions [2]."),
    ],
)
def test_summary_log(run_name: str, message: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        build(load_run(run_name), tmp_path)
    assert message in caplog.messages


def test_no_swagger_prepared(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        docs = build(opaque_run, tmp_path)
    assert docs.versions == ()
    assert "No swagger is prepared." in caplog.messages
    status, text = docs.lookup(None)
    assert status == 404
    assert json.loads(text)["message"] == (
        "Swagger version [2] is not supported for the scoring script. Supported swagger versions: []."
    )
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3


def test_unreadable_decorators_fall_back_to_generic_schemas(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # inference-schema recurses forever through a closure that refers to itself.
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        docs = build(_self_referencing_run(), tmp_path)
    assert served(docs, "2") == expected("expected_swagger2_without_decorator.json")
    assert any(r.levelno == logging.WARNING for r in caplog.records)
