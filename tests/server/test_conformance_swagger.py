"""Conformance checks 37-44: /swagger.json versions, generated documents, prefixes and user files (§10)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support import SCHEMA_SERVICE_INPUT, SCRIPTS_DIR, SWAGGER_DIR, RunningServer, start_server

VERSIONS = ["2", "3", "3.1"]
USER_FILES = ("swagger.json", "swagger2.json", "swagger3.json", "swagger3.1.json")


def _expected(name: str) -> Any:
    return json.loads((SWAGGER_DIR / name).read_text())


def _swagger(server: RunningServer, version: str | None = None) -> requests.Response:
    query = "" if version is None else f"?version={version}"
    return requests.get(f"{server.url}/swagger.json{query}", timeout=10)


def _document(server: RunningServer, version: str | None = None) -> Any:
    response = _swagger(server, version)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def _user_document(name: str) -> dict[str, Any]:
    return {"swagger": "2.0", "info": {"title": f"user {name}", "version": "9"}, "paths": {}, "x-file": name}


def _serve(script: str, cwd: Path, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    with start_server(SCRIPTS_DIR / script, cwd=cwd, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def undecorated_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("undecorated.py", app_root)


@pytest.fixture(scope="module")
def numpy_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("numpy_schema.py", app_root)


@pytest.fixture(scope="module")
def mixed_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("mixed_list.py", app_root)


@pytest.fixture(scope="module")
def service_server(app_root: Path) -> Iterator[RunningServer]:
    env = {"SERVICE_NAME": "my-svc", "SERVICE_VERSION": "2.5", "SERVICE_PATH_PREFIX": "/api/v1/"}
    yield from _serve("hello.py", app_root, env)


@pytest.fixture(scope="module")
def prefix_server(app_root: Path) -> Iterator[RunningServer]:
    yield from _serve("numpy_schema.py", app_root, {"SERVICE_PATH_PREFIX": "test"})


@pytest.fixture(scope="module")
def user_files_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("user_swagger_all")
    for name in USER_FILES:
        (root / name).write_text(json.dumps(_user_document(name)))
    return root


@pytest.fixture(scope="module")
def user_files_server(user_files_root: Path) -> Iterator[RunningServer]:
    yield from _serve("hello.py", user_files_root)


@pytest.fixture(scope="module")
def user_v2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("user_swagger_v2")
    (root / "swagger2.json").write_text(json.dumps(_user_document("swagger2.json")))
    yield from _serve("hello.py", root)


def test_c37_default_swagger(hello_server: RunningServer) -> None:
    response = _swagger(hello_server)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-ms-run-function-failed"] == "False"
    document = response.json()
    assert document["swagger"] == "2.0"
    assert document["info"]["title"] == "ML service"
    assert document["info"]["version"] == "1.0"
    assert set(document["paths"]) == {"/", "/score", "/swagger.json"}


VERSION_KEYS = [
    ("2", "swagger", "2.0"),
    ("2.0", "swagger", "2.0"),
    ("3", "openapi", "3.0.3"),
    ("3.0", "openapi", "3.0.3"),
    ("3.1", "openapi", "3.1.0"),
]


@pytest.mark.parametrize(("version", "key", "value"), VERSION_KEYS)
def test_c38_versions(hello_server: RunningServer, version: str, key: str, value: str) -> None:
    assert _document(hello_server, version)[key] == value


@pytest.mark.parametrize("version", ["4", "1", "3.2", "v2", "2.00", "\u00e9"])
def test_c39_invalid_version(hello_server: RunningServer, version: str) -> None:
    response = _swagger(hello_server, urllib.parse.quote(version))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-ms-run-function-failed"] == "False"
    expected = f"Swagger version [{version}] is not valid. Supported versions: [2, 3, 3.1]."
    assert response.content == json.dumps({"message": expected}).encode()


@pytest.mark.parametrize("version", VERSIONS)
def test_c40_undecorated_documents(undecorated_server: RunningServer, version: str) -> None:
    expected = _expected(f"expected_swagger{version}_without_decorator.json")
    assert _document(undecorated_server, version) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_c41_numpy_documents(numpy_server: RunningServer, version: str) -> None:
    assert _document(numpy_server, version) == _expected(f"expected_swagger{version}.json")


def test_c41_numpy_default_is_v2(numpy_server: RunningServer) -> None:
    assert _document(numpy_server) == _expected("expected_swagger2.json")


def test_c41_schema_service_input(schema_server: RunningServer) -> None:
    assert _document(schema_server, "2")["definitions"]["ServiceInput"] == SCHEMA_SERVICE_INPUT
    for version in ("3", "3.1"):
        assert (
            _document(schema_server, version)["components"]["schemas"]["ServiceInput"] == SCHEMA_SERVICE_INPUT
        )


def test_c42_mixed_list_skips_v2(mixed_server: RunningServer) -> None:
    response = _swagger(mixed_server, "2")
    assert response.status_code == 404
    expected = (
        "Swagger version [2] is not supported for the scoring script. Supported swagger versions: [3, 3.1]."
    )
    assert response.content == json.dumps({"message": expected}).encode()
    assert _swagger(mixed_server).status_code == 404
    assert _document(mixed_server, "3")["openapi"] == "3.0.3"
    assert _document(mixed_server, "3.1")["openapi"] == "3.1.0"


def test_c42_mixed_list_invalid_version_lists_available(mixed_server: RunningServer) -> None:
    response = _swagger(mixed_server, "4")
    expected = "Swagger version [4] is not valid. Supported versions: [3, 3.1]."
    assert response.status_code == 404
    assert response.content == json.dumps({"message": expected}).encode()


def test_c42_swagger_preparation_logged(mixed_server: RunningServer, hello_server: RunningServer) -> None:
    mixed_server.wait_for_log("Swaggers are prepared for versions [3, 3.1] and skipped for versions [2].")
    hello_server.wait_for_log("Swaggers are prepared for the following versions: [2, 3, 3.1].")


@pytest.mark.parametrize("version", VERSIONS)
def test_c43_service_settings(service_server: RunningServer, version: str) -> None:
    document = _document(service_server, version)
    assert document["info"]["title"] == "my-svc"
    assert document["info"]["version"] == "2.5"
    assert (
        document["info"]["description"] == "API specification for the Azure Machine Learning service my-svc"
    )
    assert set(document["paths"]) == {"/api/v1/", "/api/v1/score", "/api/v1/swagger.json"}


def test_c43_prefix_does_not_move_routes(service_server: RunningServer) -> None:
    assert requests.post(f"{service_server.url}/api/v1/score", data=b"{}", timeout=10).status_code == 404
    assert requests.get(f"{service_server.url}/api/v1/swagger.json", timeout=10).status_code == 404
    response = requests.post(f"{service_server.url}/score", data=b"{}", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, World!"}


def test_c43_prefix_case_document(prefix_server: RunningServer) -> None:
    assert _document(prefix_server) == _expected("expected_swagger_prefix_case.json")


@pytest.mark.parametrize(
    ("version", "served"), [("2", "swagger.json"), ("3", "swagger3.json"), ("3.1", "swagger3.1.json")]
)
def test_c44_user_files_served(user_files_server: RunningServer, version: str, served: str) -> None:
    assert _document(user_files_server, version) == _user_document(served)


def test_c44_user_file_load_logged(user_files_server: RunningServer, user_files_root: Path) -> None:
    user_files_server.wait_for_log(
        f"Loaded user's swagger file for version [2] from {user_files_root / 'swagger.json'}"
    )


def test_c44_swagger2_json_used_without_swagger_json(user_v2_server: RunningServer) -> None:
    assert _document(user_v2_server) == _user_document("swagger2.json")
    assert _document(user_v2_server, "2") == _user_document("swagger2.json")
    assert _document(user_v2_server, "3")["openapi"] == "3.0.3"
