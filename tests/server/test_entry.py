"""Unit tests for azmlinfsrv.script.entry: loading the entry script, run() signature rules, modes, init(), model tree."""

from __future__ import annotations

import inspect
import logging
import os
import re
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Iterator, Optional

import azmlinfsrv
import pytest
from azmlinfsrv.compat.aml_request import RawHttpFlag
from azmlinfsrv.config import CliArgs, ServerConfig, build_config
from azmlinfsrv.script.entry import (
    MODULE_NAME,
    UPSTREAM_SHADOWED,
    EntryScript,
    EntryScriptError,
    InitFailed,
    call_init,
    load_entry,
    model_tree,
    prepare_sys_path,
    shadowed_modules,
    warn_shadowed,
)

USER_LOGGER = "azmlinfsrv.user_script"


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Restores sys.path, the @rawhttp flag and drops every module loaded from tmp_path (entry_module too)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(RawHttpFlag, "enabled", False)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "disabled", False)
    monkeypatch.setattr(logging.getLogger(USER_LOGGER), "disabled", False)
    for name in (MODULE_NAME, "main", "config", "utils"):
        monkeypatch.delitem(sys.modules, name, raising=False)  # put back afterwards if they existed
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        location = getattr(module, "__file__", None) or ""
        if name in (MODULE_NAME, "main") or location.startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    return root


def write_script(directory: Path, source: str, name: str = "score.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def config_for(app: Path, script: Optional[Path], **env: str) -> ServerConfig:
    args = CliArgs(entry_script=str(script) if script else None)
    return build_config(args, env, str(app))


def load(app: Path, source: str, name: str = "score.py") -> EntryScript:
    script = write_script(app, source, name)
    config = config_for(app, script)
    prepare_sys_path(config)
    return load_entry(config)


def load_error(app: Path, source: str) -> EntryScriptError:
    with pytest.raises(EntryScriptError) as info:
        load(app, source)
    return info.value


def unique(prefix: str) -> str:
    """A function name that is new to inference-schema's process-wide registry."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def messages(caplog: pytest.LogCaptureFixture, logger: str = USER_LOGGER) -> list:
    return [r.getMessage() for r in caplog.records if r.name == logger]


# --- loading ------------------------------------------------------------------------------------------------


def test_loads_undecorated_script(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    entry = load(app, "def init():\n    pass\n\ndef run(data):\n    return data\n")
    path = str(app / "score.py")
    assert entry.mode == "json"
    assert entry.data_param == "data"
    assert entry.wants_headers is False
    assert entry.path == os.path.realpath(path)
    assert entry.module.__name__ == MODULE_NAME
    assert sys.modules[MODULE_NAME] is entry.module
    assert entry.run("x") == "x"
    assert entry.params == (("data", inspect.Parameter.empty),)
    assert not EntryScript.has_default(entry.params[0][1])
    logged = messages(caplog)
    assert f"Found user script at {os.path.realpath(path)}" in logged
    assert "run() is not decorated. Server will invoke it with the input in JSON string." in logged


def test_missing_init(app: Path) -> None:
    error = load_error(app, "def run(data):\n    return data\n")
    path = os.path.realpath(app / "score.py")
    assert str(error) == f"User script at {path} does not have a init() function defined."


def test_missing_run(app: Path) -> None:
    error = load_error(app, "def init():\n    pass\n")
    path = os.path.realpath(app / "score.py")
    assert str(error) == f"User script at {path} does not have a run() function defined."


@pytest.mark.parametrize(
    "signature",
    ["*args", "data, *args", "data, **kwargs", "**kwargs", "data, /", "data, /, scale=1"],
)
def test_rejects_varargs_and_positional_only(app: Path, signature: str) -> None:
    error = load_error(app, f"def init():\n    pass\n\ndef run({signature}):\n    pass\n")
    assert str(error) == "run() cannot accept positional-only arguments, *args, or **kwargs."


def test_rejects_run_without_parameters(app: Path) -> None:
    error = load_error(app, "def init():\n    pass\n\ndef run():\n    pass\n")
    assert str(error) == "run() needs to accept an argument for input data."


def test_rejects_run_with_only_request_headers(app: Path) -> None:
    error = load_error(app, "def init():\n    pass\n\ndef run(request_headers):\n    pass\n")
    assert str(error) == 'run() needs to accept an argument other than "request_headers".'


@pytest.mark.parametrize(
    ("signature", "data_param", "wants_headers"),
    [
        ("request_headers, payload", "payload", True),
        ("payload, request_headers", "payload", True),
        ("payload, scale=2, *, flag=False", "payload", False),
        ("payload, *, request_headers", "payload", True),
    ],
)
def test_accepted_signatures(app: Path, signature: str, data_param: str, wants_headers: bool) -> None:
    entry = load(app, f"def init():\n    pass\n\ndef run({signature}):\n    pass\n")
    assert entry.data_param == data_param
    assert entry.wants_headers is wants_headers
    assert all(name != "request_headers" for name, _ in entry.params)


def test_syntax_error_is_chained(app: Path) -> None:
    error = load_error(app, "def init(:\n    pass\n")
    assert str(error) == "Failed to import user script because it raised an unhandled exception"
    assert isinstance(error.__cause__, SyntaxError)
    assert MODULE_NAME not in sys.modules


def test_import_time_exception_is_chained(app: Path) -> None:
    error = load_error(app, "raise RuntimeError('model missing')\n")
    assert str(error) == "Failed to import user script because it raised an unhandled exception"
    assert isinstance(error.__cause__, RuntimeError)
    assert str(error.__cause__) == "model missing"
    assert MODULE_NAME not in sys.modules


def test_missing_file(app: Path) -> None:
    config = config_for(app, app / "absent.py")
    with pytest.raises(EntryScriptError) as info:
        load_entry(config)
    assert str(info.value).startswith("No such file or directory. The entry script ")
    assert str(app / "absent.py") in str(info.value)


# --- modes ------------------------------------------------------------------------------------------------


def test_rawhttp_mode(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    entry = load(
        app,
        """
        from azmlinfsrv.compat.aml_request import rawhttp

        def init():
            pass

        @rawhttp
        def run(request):
            return request
        """,
    )
    assert entry.mode == "raw"
    assert entry.data_param == "request"
    assert RawHttpFlag.enabled is True
    assert (
        "run() is decorated with @rawhttp. Server will invoke it with the flask request object."
        in messages(caplog)
    )


def test_schema_mode(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    name = unique("run_schema")
    entry = load(
        app,
        f"""
        from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
        from inference_schema.schema_decorators import input_schema

        def init():
            pass

        @input_schema("data", StandardPythonParameterType([{{"a": 1, "b": "x"}}]))
        @input_schema("scale", StandardPythonParameterType(2.0))
        def {name}(data, request_headers, scale=1.0):
            return {{"data": data, "scale": scale}}

        run = {name}
        """,
    )
    assert entry.mode == "schema"
    assert entry.data_param == "data"
    assert entry.wants_headers is True
    assert entry.params == (("data", inspect.Parameter.empty), ("scale", 1.0))
    assert EntryScript.has_default(1.0)
    assert (
        "run() is decorated with @input_schema. Server will invoke it with the following arguments: data, scale."
        in messages(caplog)
    )


def test_rawhttp_with_input_schema_is_rejected(app: Path) -> None:
    name = unique("run_both")
    error = load_error(
        app,
        f"""
        from azmlinfsrv.compat.aml_request import rawhttp
        from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
        from inference_schema.schema_decorators import input_schema

        def init():
            pass

        @rawhttp
        @input_schema("data", StandardPythonParameterType([1, 2]))
        def {name}(data):
            return data

        run = {name}
        """,
    )
    assert str(error) == "run() cannot be decorated with both @rawhttp and @input_schema"


def test_rawhttp_anywhere_in_process_switches_to_raw(app: Path) -> None:
    RawHttpFlag.enabled = True
    entry = load(app, "def init():\n    pass\n\ndef run(data):\n    pass\n")
    assert entry.mode == "raw"


# --- driver module --------------------------------------------------------------------------------------------


def test_driver_module(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    name = unique("inner_run")
    inner = write_script(
        app,
        f"""
        from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
        from inference_schema.schema_decorators import input_schema

        calls = []

        def init():
            calls.append("inner init")

        @input_schema("values", StandardPythonParameterType([1, 2]))
        def {name}(values, request_headers):
            return {{"inner": values}}

        run = {name}
        """,
        name="inner_score.py",
    )
    entry = load(
        app,
        f"""
        import importlib.util

        _spec = importlib.util.spec_from_file_location("inner_score_{name}", {str(inner)!r})
        driver_module = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(driver_module)

        def init():
            driver_module.calls.append("outer init")

        def run(data):
            return "outer run"
        """,
    )
    outer = os.path.realpath(app / "score.py")
    assert entry.run([1], {}) == {"inner": [1]}
    entry.init()
    assert entry.module.driver_module.calls == ["outer init"]
    assert entry.mode == "schema"
    assert entry.data_param == "values"
    assert entry.wants_headers is True
    logged = messages(caplog)
    assert f"Found driver script at {outer} and the score script at {inner}" in logged
    assert not any(line.startswith("Found user script") for line in logged)


def test_driver_module_that_is_not_a_module_is_ignored(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    entry = load(
        app, "driver_module = 'nope'\n\ndef init():\n    pass\n\ndef run(data):\n    return 'outer'\n"
    )
    assert entry.run(None) == "outer"
    assert any(line.startswith("Found user script at ") for line in messages(caplog))


# --- sys.path and shadowing ---------------------------------------------------------------------------------


def test_prepare_sys_path_order_and_idempotence(app: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path / "code", "def init(): pass\ndef run(data): pass\n")
    config = config_for(app, script, AZUREML_SOURCE_DIRECTORY="src")
    before = list(sys.path)
    prepare_sys_path(config)
    prepare_sys_path(config)
    assert sys.path[: len(before)] == before
    added = sys.path[len(before) :]
    assert added == [str(app), os.path.join(str(app), "src"), os.path.realpath(tmp_path / "code")]


def test_server_package_directory_is_never_on_sys_path(app: Path) -> None:
    script = write_script(app, "def init(): pass\ndef run(data): pass\n")
    prepare_sys_path(config_for(app, script))
    server_dir = os.path.realpath(os.path.dirname(azmlinfsrv.__file__))
    assert all(os.path.realpath(p or ".") != server_dir for p in sys.path)


def test_sibling_helper_imports_from_another_root(app: Path, tmp_path: Path) -> None:
    helper = unique("sibling_helper")
    code = tmp_path / "code"
    write_script(code, "VALUE = 42\n", name=f"{helper}.py")
    script = write_script(
        code, f"import {helper}\n\ndef init(): pass\n\ndef run(data):\n    return {helper}.VALUE\n"
    )
    config = config_for(app, script)
    prepare_sys_path(config)
    assert load_entry(config).run(None) == 42


def test_user_config_and_utils_modules_are_the_users(app: Path) -> None:
    write_script(app, "WHO = 'user config'\n", name="config.py")
    write_script(app, "WHO = 'user utils'\n", name="utils.py")
    entry = load(
        app, "import config, utils\n\ndef init(): pass\n\ndef run(data):\n    return config.WHO, utils.WHO\n"
    )
    assert entry.run(None) == ("user config", "user utils")


@pytest.mark.parametrize(
    "name",
    [
        "utils",
        "config",
        "routes",
        "entry",
        "user_script",
        "swagger",
        "create_app",
        "input_parsers",
        "aml_blueprint",
        "appinsights_client",
    ],
)
def test_shadowed_module_detected(tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.py").write_text("", encoding="utf-8")
    assert shadowed_modules(str(tmp_path)) == [name]
    assert name in UPSTREAM_SHADOWED


def test_shadowed_packages_and_harmless_names(tmp_path: Path) -> None:
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "swagger").mkdir()  # not a package: nothing to shadow
    (tmp_path / "helper.py").write_text("", encoding="utf-8")
    (tmp_path / "score.py").write_text("", encoding="utf-8")
    assert shadowed_modules(str(tmp_path)) == ["routes"]
    assert shadowed_modules(str(tmp_path / "swagger")) == []


def test_warn_shadowed_names_the_module(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    script = write_script(app, "def init(): pass\ndef run(data): pass\n")
    (app / "utils.py").write_text("", encoding="utf-8")
    warn_shadowed(config_for(app, script))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'utils'" in warnings[0]
    assert "production" in warnings[0]


def test_warn_shadowed_quiet_without_such_modules(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    script = write_script(app, "def init(): pass\ndef run(data): pass\n")
    warn_shadowed(config_for(app, script))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- no entry script: import main -----------------------------------------------------------------------------


def test_no_entry_script_imports_main(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_script(app, "def init(): pass\n\ndef run(data):\n    return 'main'\n", name="main.py")
    config = config_for(app, None)
    prepare_sys_path(config)
    entry = load_entry(config)
    assert entry.run(None) == "main"
    assert entry.path is None


def test_no_entry_script_and_no_main(app: Path) -> None:
    (app / "other.py").write_text("", encoding="utf-8")
    config = config_for(app, None)
    prepare_sys_path(config)
    with pytest.raises(EntryScriptError) as info:
        load_entry(config)
    lines = str(info.value).splitlines()
    assert lines[0] == "No score script found. Expected score script main.py."
    assert lines[1].startswith("Expected script to be found in PYTHONPATH: [")
    assert str(app) in lines[1]
    assert lines[2] == "Current contents of AML_APP_ROOT: ['other.py']"


def test_no_entry_script_and_unreadable_root(tmp_path: Path) -> None:
    missing = tmp_path / "not_there"
    config = build_config(CliArgs(), {"AML_APP_ROOT": str(missing)}, str(tmp_path))
    with pytest.raises(EntryScriptError) as info:
        load_entry(config)
    assert (
        str(info.value).splitlines()[-1]
        == f"The directory {missing} not an accessible directory in the container."
    )


def test_main_with_a_broken_import_is_an_import_failure(app: Path) -> None:
    write_script(app, f"import {unique('no_such_module')}\n", name="main.py")
    config = config_for(app, None)
    prepare_sys_path(config)
    with pytest.raises(EntryScriptError) as info:
        load_entry(config)
    assert str(info.value) == "Failed to import user script because it raised an unhandled exception"
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


# --- init() ---------------------------------------------------------------------------------------------------


def test_call_init_success(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    entry = load(app, "calls = []\n\ndef init():\n    calls.append(1)\n\ndef run(data): pass\n")
    call_init(entry, None)
    assert entry.module.calls == [1]
    logged = messages(caplog)
    assert logged.index("Invoking user's init function") < logged.index(
        "Users's init has completed successfully"
    )
    # The additive timing line comes last, after upstream's own line.
    finished = [line for line in logged if line.startswith("init() finished in ")]
    assert len(finished) == 1
    assert re.fullmatch(r"init\(\) finished in \d+\.\d{3} s", finished[0])
    assert logged.index("Users's init has completed successfully") < logged.index(finished[0])


def test_call_init_failure_logs_traceback_and_model_tree(
    app: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"")
    entry = load(app, "def init():\n    raise ValueError('no weights')\n\ndef run(data): pass\n")
    with pytest.raises(InitFailed) as info:
        call_init(entry, str(model))
    assert isinstance(info.value, EntryScriptError)
    assert isinstance(info.value.__cause__, ValueError)
    logged = messages(caplog)
    assert "User's init function failed" in logged
    failure = [line for line in logged if line.startswith("Encountered Exception ")]
    assert len(failure) == 1
    assert "Traceback (most recent call last)" in failure[0]
    assert "ValueError: no weights" in failure[0]
    assert f"Model Directory Contents:\nmodel{os.sep}\n    weights.bin" in logged
    assert "Users's init has completed successfully" not in logged
    assert not any(line.startswith("init() finished in ") for line in logged)


def test_call_init_failure_without_model_dir(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    entry = load(app, "def init():\n    raise ValueError('x')\n\ndef run(data): pass\n")
    with pytest.raises(InitFailed):
        call_init(entry, None)
    assert not any(line.startswith("Model Directory Contents:") for line in messages(caplog))


# --- model tree -------------------------------------------------------------------------------------------------


def test_model_tree_layout(tmp_path: Path) -> None:
    root = tmp_path / "model"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "b.txt").write_text("", encoding="utf-8")
    (root / "a.txt").write_text("", encoding="utf-8")
    (root / "sub" / "c.txt").write_text("", encoding="utf-8")
    (root / "sub" / "deeper" / "d.txt").write_text("", encoding="utf-8")
    sep = os.sep
    assert model_tree(str(root)).splitlines() == [
        f"model{sep}",
        "    a.txt",
        "    b.txt",
        f"    sub{sep}",
        "        c.txt",
        f"        deeper{sep}",
        "            d.txt",
    ]


def test_model_tree_truncates_after_200_lines(tmp_path: Path) -> None:
    root = tmp_path / "model"
    root.mkdir()
    for index in range(250):
        (root / f"f{index:03d}.bin").write_text("", encoding="utf-8")
    lines = model_tree(str(root)).splitlines()
    assert len(lines) == 201
    assert lines[0] == f"model{os.sep}"
    assert lines[199] == "    f198.bin"
    assert lines[200] == "Output Truncated. First 200 lines shown."


def test_model_tree_200_lines_not_truncated(tmp_path: Path) -> None:
    root = tmp_path / "model"
    root.mkdir()
    for index in range(199):
        (root / f"f{index:03d}.bin").write_text("", encoding="utf-8")
    lines = model_tree(str(root)).splitlines()
    assert len(lines) == 200
    assert "Output Truncated" not in lines[-1]
