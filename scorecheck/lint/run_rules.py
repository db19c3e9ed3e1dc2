"""Rules about `run()`: what it returns (numpy values, NaN) and form reads without `@rawhttp`.

The analysis is deliberately shallow: a value is numpy only when it plainly comes from a numpy (or pandas) function
that always returns an array (or a frame), or from a `.predict(...)`-style model method, directly or through names
assigned only such values inside `run()`. Reductions such as `np.mean` are left alone (a float64 serialises), so is
anything passed through `.tolist()`, `float(...)`, `json.dumps(...)` or a comprehension, and a name with any other
assignment: a lint that cries wolf gets switched off.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Set, Tuple

from .registry import Finding, rule
from .script import FunctionNode, Script, has_decorator, own_nodes

# Functions whose result is always an array (numpy) or a frame/series (pandas), whatever their arguments.
ARRAY_FUNCTIONS = {
    "numpy": frozenset(
        {
            *("array", "asarray", "asanyarray", "ascontiguousarray", "zeros", "ones", "empty", "full"),
            *("zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye"),
            *("identity", "concatenate", "stack", "vstack", "hstack", "column_stack", "argsort", "sort"),
            *("unique", "reshape", "ravel", "transpose", "expand_dims", "atleast_1d", "atleast_2d", "tile"),
            *("repeat", "nonzero", "flatnonzero", "argwhere", "cumsum", "cumprod", "diff", "outer"),
        }
    ),
    "pandas": frozenset(
        {"DataFrame", "Series", "concat", "merge", "get_dummies", "read_csv", "read_json", "read_parquet"}
    ),
}
# Model methods whose result is an array in scikit-learn, Keras, XGBoost, LightGBM and the rest.
PREDICT_METHODS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})
NON_FINITE_ATTRIBUTES = frozenset({"nan", "inf", "NaN", "NAN", "Inf", "Infinity", "PINF", "NINF", "infty"})
NON_FINITE_TEXT = frozenset({"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"})
FORM_ATTRIBUTES = frozenset({"form", "files"})


def run_function(script: Script) -> Optional[FunctionNode]:
    return script.functions.get("run")


def returned(function: FunctionNode) -> Iterator[Tuple[ast.Return, ast.expr]]:
    """Each `return <value>` of the function itself (not of functions defined inside it), with its value."""
    for node in own_nodes(function):
        if isinstance(node, ast.Return) and node.value is not None:
            yield node, node.value


class ArrayValues:
    """Which expressions inside one `run()` are numpy/pandas values, as far as the source plainly says."""

    def __init__(self, script: Script, function: FunctionNode) -> None:
        self.script = script
        self.names: Dict[str, str] = {}
        # A `predict` the script defines itself may return anything: only its own code says what.
        self.own_methods = {
            n.name for n in ast.walk(script.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        assignments = _assignments(function)
        changed = True
        while changed:  # names assigned from names: settle to a fixed point
            changed = False
            for name, values in assignments.items():
                if name in self.names:
                    continue
                origins = [self.origin(value) if value is not None else None for value in values]
                if origins and all(origins):
                    self.names[name] = str(origins[0])
                    changed = True

    def origin(self, node: ast.expr) -> Optional[str]:
        """How the expression is plainly a numpy/pandas value (`np.array(...)`, `model.predict(...)`), or None."""
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.BinOp):
            return self.origin(node.left) or self.origin(node.right)
        if isinstance(node, ast.Dict):
            return next((o for o in map(self.origin, [v for v in node.values if v is not None]) if o), None)
        if isinstance(node, (ast.List, ast.Tuple)):
            return next((o for o in map(self.origin, node.elts) if o), None)
        return None

    def _call(self, node: ast.Call) -> Optional[str]:
        library, _, name = (self.script.qualified(node.func) or "").partition(".")
        if name in ARRAY_FUNCTIONS.get(library, ()):
            return f"a {library} value from {ast.unparse(node.func)}(...)"
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if method in PREDICT_METHODS and method not in self.own_methods:
            return f"a numpy array from {ast.unparse(node.func)}(...)"
        return None


def _assignments(function: FunctionNode) -> Dict[str, List[Optional[ast.expr]]]:
    """Every value each plain name is assigned inside the function; None for bindings of unknown value."""
    found: Dict[str, List[Optional[ast.expr]]] = {}
    for node in own_nodes(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind(found, target, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            _bind(found, node.target, node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            _bind(found, node.target, None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            _bind(found, node.optional_vars, None)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append(ast.BinOp(node.target, node.op, node.value))
    for argument in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]:
        found.setdefault(argument.arg, []).append(None)
    return found


def _bind(found: Dict[str, List[Optional[ast.expr]]], target: ast.expr, value: Optional[ast.expr]) -> None:
    if isinstance(target, ast.Name):
        found.setdefault(target.id, []).append(value)
    else:  # unpacking, attributes, subscripts: every name inside has an unknown value
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                found.setdefault(node.id, []).append(None)


@rule("numpy-return", summary="run() returns a numpy or pandas value, which the server cannot serialise")
def numpy_return(script: Script) -> Iterator[Finding]:
    function = run_function(script)
    if function is None:
        return
    values = ArrayValues(script, function)
    for node, value in returned(function):
        origin = values.origin(value)
        if origin is None:
            continue
        message = (
            f"run() returns {ast.unparse(value)[:60]}, {origin}: production cannot serialise numpy arrays, "
            "integer scalars or pandas objects and answers 500"
        )
        fix = "return plain Python values: .tolist() on arrays, .item() or float(...) on scalars, .to_dict() on frames"
        yield Finding("numpy-return", script.display, node.lineno, node.col_offset + 1, message, fix)


def non_finite(script: Script, node: ast.expr) -> Optional[ast.expr]:
    """A NaN or infinity written into the returned value itself (not passed to a call), or None."""
    if isinstance(node, ast.Call):
        name = script.qualified(node.func)
        text = node.args[0] if node.args else None
        if name == "float" and isinstance(text, ast.Constant) and isinstance(text.value, str):
            return node if text.value.strip().lower() in NON_FINITE_TEXT else None
        return None
    if isinstance(node, ast.Attribute):
        qualified = script.qualified(node) or ""
        library = qualified.split(".")[0]
        return node if library in ("math", "numpy", "cmath") and node.attr in NON_FINITE_ATTRIBUTES else None
    children: List[ast.expr] = []
    if isinstance(node, ast.Dict):
        children = [v for v in node.values if v is not None]
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        children = list(node.elts)
    elif isinstance(node, ast.IfExp):
        children = [node.body, node.orelse]
    elif isinstance(node, ast.UnaryOp):
        children = [node.operand]
    return next((found for found in (non_finite(script, c) for c in children) if found is not None), None)


@rule("nan-return", summary="run() returns NaN or infinity, which production sends as invalid JSON")
def nan_return(script: Script) -> Iterator[Finding]:
    function = run_function(script)
    for _, value in returned(function) if function is not None else ():
        found = non_finite(script, value)
        if found is None:
            continue
        message = (
            f"run() returns {ast.unparse(found)}: production sends a bare NaN/Infinity, invalid JSON that strict "
            "clients (browsers, Java, Go, .NET) reject"
        )
        fix = "return None (or a 400 for input that has no finite answer) instead of NaN or infinity"
        yield Finding("nan-return", script.display, found.lineno, found.col_offset + 1, message, fix)


def is_raw(script: Script) -> bool:
    """Whether any function of the script is decorated with `@rawhttp`, which switches the whole server to raw."""
    return any(has_decorator(script, f, "rawhttp") for f in script.functions.values())


def _request_names(script: Script, function: FunctionNode) -> Set[str]:
    names = {"request", *(a.arg for a in function.args.args), *(a.arg for a in function.args.kwonlyargs)}
    names.update(local for local, target in script.aliases.items() if target == "flask.request")
    names.discard("request_headers")
    return names


@rule("form-without-rawhttp", summary="run() reads request.form or request.files without @rawhttp")
def form_without_rawhttp(script: Script) -> Iterator[Finding]:
    function = run_function(script)
    if function is None or is_raw(script):
        return
    names = _request_names(script, function)
    for node in own_nodes(function):
        if not (isinstance(node, ast.Attribute) and node.attr in FORM_ATTRIBUTES):
            continue
        owner = script.qualified(node.value) or ""
        if not (isinstance(node.value, ast.Name) and node.value.id in names) and owner != "flask.request":
            continue
        message = (
            f"run() reads {ast.unparse(node)} without @rawhttp: the server (Flask) consumes form and multipart "
            "bodies before an undecorated run() sees them, so run() receives an empty string"
        )
        fix = (
            "decorate run() with @rawhttp (from azureml.contrib.services.aml_request import rawhttp) and read "
            "request.form / request.files from the request it receives"
        )
        yield Finding("form-without-rawhttp", script.display, node.lineno, node.col_offset + 1, message, fix)
