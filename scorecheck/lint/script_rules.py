"""Rules about the script as a whole: the init()/run() contract the server checks at boot, model files read
relative to the working directory in init(), and print()-only logging."""

from __future__ import annotations

import ast
import re
from typing import Iterator, List, Optional, Tuple, Union

from ..model import plural
from .registry import Finding, rule
from .script import FunctionNode, Script, has_decorator, own_nodes

HEADERS_PARAM = "request_headers"
# Calls that read a file named by their first argument: open() and the model loaders of the common libraries.
LOADERS = frozenset(
    {
        "open",
        "load",
        "load_model",
        "load_weights",
        "loadtxt",
        "genfromtxt",
        "read_csv",
        "read_json",
        "read_parquet",
        "read_pickle",
        "read_table",
        "read_excel",
        "InferenceSession",
        "read_text",
        "read_bytes",
    }
)
PATH_BUILDERS = frozenset({"os.path.join", "pathlib.Path", "pathlib.PurePath", "Path"})
WORKING_DIRECTORY = frozenset({"os.getcwd", "os.getcwdb", "pathlib.Path.cwd"})
# A file name: a folder separator, or an extension such as .pkl, .onnx, .json.
_FILE_LIKE = re.compile(r"[/\\]|\.[A-Za-z][A-Za-z0-9]{0,7}$")


def _is_relative(text: str) -> bool:
    absolute = text.startswith(("/", "\\", "~", "$")) or "://" in text or re.match(r"[A-Za-z]:", text)
    return bool(text) and not absolute


def _relative_literal(node: ast.expr, script: Script) -> Optional[str]:
    """The relative file path an expression plainly spells (`"model.pkl"`, `os.path.join("model", ...)`), or None."""
    head: Optional[ast.expr] = None
    if isinstance(node, ast.Constant):
        text = node.value if isinstance(node.value, str) else ""
        return text if _is_relative(text) and _FILE_LIKE.search(text) else None
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]  # f"models/{name}.pkl"
    elif isinstance(node, ast.Call) and node.args and (script.qualified(node.func) or "") in PATH_BUILDERS:
        head = node.args[0]  # os.path.join("model", name), Path("model")
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _relative_literal(node.left, script) and ast.unparse(node)  # Path("model") / name
    if isinstance(head, ast.Constant) and isinstance(head.value, str) and _is_relative(head.value):
        return ast.unparse(node)
    return None


def _init_and_helpers(script: Script) -> List[FunctionNode]:
    """init() and the script's own functions it calls directly (a `_load_model()` helper, say)."""
    init = script.functions.get("init")
    if init is None:
        return []
    called = {
        node.func.id
        for node in own_nodes(init)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in script.functions
    }
    return [init, *(script.functions[name] for name in sorted(called) if name not in ("init", "run"))]


def _path_problem(script: Script, node: ast.Call) -> Optional[str]:
    qualified = script.qualified(node.func) or ""
    if qualified in WORKING_DIRECTORY:
        return f"calls {ast.unparse(node)}, the server's working directory"
    name = node.func.attr if isinstance(node.func, ast.Attribute) else qualified
    if name not in LOADERS:
        return None
    target = (
        node.func.value
        if name in ("read_text", "read_bytes") and isinstance(node.func, ast.Attribute)
        else None
    )
    argument = target if target is not None else (node.args[0] if node.args else None)
    relative = _relative_literal(argument, script) if argument is not None else None
    return (
        f"reads {relative!r} relative to the working directory ({ast.unparse(node)[:60]})"
        if relative
        else None
    )


@rule(
    "relative-model-path",
    summary="init() reads files relative to the working directory, not AZUREML_MODEL_DIR",
)
def relative_model_path(script: Script) -> Iterator[Finding]:
    for function in _init_and_helpers(script):
        for node in own_nodes(function):
            if not isinstance(node, ast.Call):
                continue
            problem = _path_problem(script, node)
            if problem is None:
                continue
            message = (
                f"{function.name}() {problem}: in a deployment the registered model is mounted below "
                "AZUREML_MODEL_DIR, not there"
            )
            fix = 'build the path from the model directory: os.path.join(os.getenv("AZUREML_MODEL_DIR"), "<file>")'
            yield Finding(
                "relative-model-path", script.display, node.lineno, node.col_offset + 1, message, fix
            )


@rule("print-logging", summary="the script reports with print() only, never through logging")
def print_logging(script: Script) -> Iterator[Finding]:
    if {"logging", "loguru", "structlog"} & script.imported():
        return
    prints = [
        node
        for node in ast.walk(script.tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    if not prints or "print" in script.bound:
        return
    first = min(prints, key=lambda n: (n.lineno, n.col_offset))
    message = (
        f"the script reports with print() only ({plural(len(prints), 'call')}, no logging): each print becomes an "
        "INFO record of azmlinfsrv.print, so errors cannot be told from progress, filtered or alerted on"
    )
    fix = "logger = logging.getLogger(__name__) at the top, then logger.info(...) / logger.error(...) instead of print"
    yield Finding("print-logging", script.display, first.lineno, first.col_offset + 1, message, fix)


def _signature_problem(function: FunctionNode) -> Optional[str]:
    args = function.args
    if args.posonlyargs or args.vararg or args.kwarg:
        return "run() cannot accept positional-only arguments, *args, or **kwargs."
    names = [a.arg for a in [*args.args, *args.kwonlyargs]]
    if not names:
        return "run() needs to accept an argument for input data."
    if all(name == HEADERS_PARAM for name in names):
        return 'run() needs to accept an argument other than "request_headers".'
    return None


def _contract_problems(script: Script) -> Iterator[Tuple[Union[ast.Module, FunctionNode], str, str]]:
    if "*" in script.bound:
        return  # a star import may define anything
    for name in ("init", "run"):
        if name not in script.bound and not (name == "run" and "driver_module" in script.bound):
            yield (
                script.tree,
                f"User script at {script.display} does not have a {name}() function defined.",
                (f"define {name}() at module level"),
            )
    run = script.functions.get("run")
    if run is None:
        return
    problem = _signature_problem(run)
    if problem:
        yield (
            run,
            problem,
            "declare run(data) (plus request_headers if you want the headers), no *args/**kwargs",
        )
    if has_decorator(script, run, "rawhttp") and has_decorator(script, run, "input_schema"):
        yield run, "run() cannot be decorated with both @rawhttp and @input_schema", "keep one of the two"


@rule("entry-contract", summary="init()/run() break a rule the server checks at boot (it would exit 3)")
def entry_contract(script: Script) -> Iterator[Finding]:
    for node, problem, fix in _contract_problems(script):
        line = getattr(node, "lineno", 1)
        column = getattr(node, "col_offset", 0) + 1
        message = f"{problem} The server refuses to start with this script (exit 3), in production too"
        yield Finding("entry-contract", script.display, line, column, message, fix)
