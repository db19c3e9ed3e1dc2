"""Locate and load the user's entry script, and check its `init()`/`run()` contract.

Loading is split in small steps (path set-up, import, driver lookup, signature rules, mode choice) so that each
failure names its cause the way upstream words it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
import time
import traceback
import types
from dataclasses import dataclass
from typing import Any, Callable, List, Literal, Optional, Tuple

from inference_schema.schema_util import is_schema_decorated

from ..compat.aml_request import RawHttpFlag
from ..config import ServerConfig, entry_script_problem
from ..log_format import Verbatim

logger = logging.getLogger("azmlinfsrv.user_script")
MODULE_NAME = "entry_module"
HEADERS_PARAM = "request_headers"
INIT_FINISHED = "init() finished in %.3f s"
# Module names that upstream 1.5.1 puts on sys.path from its own package, shadowing a user's module.
UPSTREAM_SHADOWED = (
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
)
_NO_DEFAULT: Any = inspect.Parameter.empty
# How run() receives a request: the body as text, keyword arguments from a JSON object, or the request itself.
InputMode = Literal["json", "schema", "raw"]


class EntryScriptError(Exception):
    """The script cannot be served; the message is upstream's wording, the cause (if any) is chained."""


class EntryScriptMissing(EntryScriptError):
    """The entry script does not exist or is not a file: the message names the path and the fix (one line)."""


class InitFailed(EntryScriptError):
    """init() raised; its traceback and the model directory have already been logged."""


@dataclass(frozen=True)
class EntryScript:
    """A loaded entry script that passed upstream's checks: what the server calls and how it calls `run()`.

    `run` is the driver module's `run()` when the script names one. `mode` is the input mode: `json` for an
    undecorated `run(data)` (the body as text), `schema` for inference-schema decorators (keyword arguments from a
    JSON object), `raw` for `@rawhttp` (the Flask request). `data_param` is the parameter that receives the input,
    `wants_headers` says whether `run()` also takes `request_headers`.
    """

    path: Optional[str]
    module: types.ModuleType
    init: Callable[[], Any]
    run: Callable[..., Any]
    mode: InputMode
    data_param: str
    wants_headers: bool
    # For the schema mode: every parameter but request_headers, with its default (or _NO_DEFAULT).
    params: Tuple[Tuple[str, Any], ...]

    @staticmethod
    def has_default(value: Any) -> bool:
        return value is not _NO_DEFAULT


def prepare_sys_path(config: ServerConfig) -> None:
    """Append the app root, the source directory and (ours) the script's own directory, as upstream orders them."""
    for directory in (config.app_root, config.source_dir, _script_dir(config)):
        if directory and directory not in sys.path:
            sys.path.append(directory)


def _script_dir(config: ServerConfig) -> Optional[str]:
    return os.path.dirname(config.entry_script) if config.entry_script else None


def shadowed_modules(directory: str) -> List[str]:
    """User modules that production would not import, because upstream's own modules of that name win."""
    found = []
    for name in UPSTREAM_SHADOWED:
        if os.path.isfile(os.path.join(directory, f"{name}.py")) or os.path.isfile(
            os.path.join(directory, name, "__init__.py")
        ):
            found.append(name)
    return found


def warn_shadowed(config: ServerConfig) -> None:
    directory = _script_dir(config)
    for name in shadowed_modules(directory) if directory else []:
        logger.warning(
            "The module '%s' beside the entry script is shadowed in production: azureml-inference-server-http "
            "1.5.1 puts its own '%s' module first on sys.path, so 'import %s' in the deployed service gets the "
            "server's module, not yours. This server loads yours. Rename the module (for example to "
            "'my_%s.py') so the script behaves the same once deployed.",
            name,
            name,
            name,
            name,
        )


def load_entry(config: ServerConfig) -> EntryScript:
    module = _import_script(config)
    init = getattr(module, "init", None)
    run = getattr(module, "run", None)
    driver = getattr(module, "driver_module", None)
    location = getattr(module, "__file__", None) or MODULE_NAME
    if isinstance(driver, types.ModuleType) and callable(getattr(driver, "run", None)):
        run = driver.run
        logger.info("Found driver script at %s and the score script at %s", location, driver.__file__)
    else:
        logger.info("Found user script at %s", location)
    if not callable(init):
        raise EntryScriptError(f"User script at {location} does not have a init() function defined.")
    if not callable(run):
        raise EntryScriptError(f"User script at {location} does not have a run() function defined.")
    return _describe(config.entry_script, module, init, run)


def _import_script(config: ServerConfig) -> types.ModuleType:
    if not config.entry_script:
        return _import_main(config)
    path = config.entry_script
    problem = entry_script_problem(config)
    if problem is not None:
        raise EntryScriptMissing(problem)
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise EntryScriptError(f"Cannot load {path} as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(MODULE_NAME, None)
        raise EntryScriptError(
            "Failed to import user script because it raised an unhandled exception"
        ) from exc
    return module


def _import_main(config: ServerConfig) -> types.ModuleType:
    try:
        return importlib.import_module("main")
    except ModuleNotFoundError as exc:
        if exc.name != "main":
            raise EntryScriptError(
                "Failed to import user script because it raised an unhandled exception"
            ) from exc
        raise EntryScriptError(_no_main_message(config.app_root)) from exc
    except BaseException as exc:
        raise EntryScriptError(
            "Failed to import user script because it raised an unhandled exception"
        ) from exc


def _no_main_message(app_root: str) -> str:
    lines = [
        "No score script found. Expected score script main.py.",
        f"Expected script to be found in PYTHONPATH: {sys.path}",
    ]
    try:
        lines.append(f"Current contents of AML_APP_ROOT: {sorted(os.listdir(app_root))}")
    except OSError:
        lines.append(f"The directory {app_root} not an accessible directory in the container.")
    return "\n".join(lines)


def _describe(
    path: Optional[str], module: types.ModuleType, init: Callable[[], Any], run: Callable[..., Any]
) -> EntryScript:
    params = _check_signature(run)
    wants_headers = any(name == HEADERS_PARAM for name, _ in params)
    data_params = tuple((name, default) for name, default in params if name != HEADERS_PARAM)
    decorated = is_schema_decorated(run)
    if RawHttpFlag.enabled and decorated:
        raise EntryScriptError("run() cannot be decorated with both @rawhttp and @input_schema")
    mode: InputMode = "raw" if RawHttpFlag.enabled else ("schema" if decorated else "json")
    _log_mode(mode, data_params)
    return EntryScript(path, module, init, run, mode, data_params[0][0], wants_headers, data_params)


def _check_signature(run: Callable[..., Any]) -> List[Tuple[str, Any]]:
    allowed = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = list(inspect.signature(run).parameters.values())
    if any(p.kind not in allowed for p in parameters):
        raise EntryScriptError("run() cannot accept positional-only arguments, *args, or **kwargs.")
    if not parameters:
        raise EntryScriptError("run() needs to accept an argument for input data.")
    if all(p.name == HEADERS_PARAM for p in parameters):
        raise EntryScriptError('run() needs to accept an argument other than "request_headers".')
    return [(p.name, p.default) for p in parameters]


def _log_mode(mode: InputMode, params: Tuple[Tuple[str, Any], ...]) -> None:
    if mode == "raw":
        logger.info("run() is decorated with @rawhttp. Server will invoke it with the flask request object.")
    elif mode == "schema":
        names = ", ".join(name for name, _ in params)
        logger.info(
            "run() is decorated with @input_schema. Server will invoke it with the following arguments: %s.",
            names,
        )
    else:
        logger.info("run() is not decorated. Server will invoke it with the input in JSON string.")


def call_init(entry: EntryScript, model_dir: Optional[str]) -> None:
    logger.info("Invoking user's init function")
    started = time.perf_counter()
    try:
        entry.init()
    except BaseException as exc:
        logger.error("User's init function failed")
        logger.error("Encountered Exception %s", Verbatim(format_chained(exc)))
        if model_dir is not None:
            logger.info("Model Directory Contents:\n%s", Verbatim(model_tree(model_dir)))
        raise InitFailed("User's init function failed") from exc
    logger.info("Users's init has completed successfully")
    # Additive: how long init() took, for start-up budgets (a readiness probe waits only so long).
    logger.info(INIT_FINISHED, time.perf_counter() - started)


def format_chained(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def model_tree(root: str, limit: int = 200) -> str:
    lines: List[str] = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        depth = os.path.relpath(directory, root).count(os.sep) + (0 if directory == root else 1)
        indent = "    " * depth
        lines.append(f"{indent}{os.path.basename(directory) or directory}{os.sep}")
        lines.extend(f"{indent}    {name}" for name in sorted(files))
        if len(lines) > limit:
            return "\n".join([*lines[:limit], f"Output Truncated. First {limit} lines shown."])
    return "\n".join(lines)
