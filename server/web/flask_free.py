"""Whether an entry script's `run()` can reach Flask, decided from the loaded objects (never from source text).

Flask's context objects (`flask.request`, `g`, `current_app`, `session`) and functions that need them
(`jsonify`, `url_for`, ...) work only inside Flask's request handling, so a `run()` that may use them must be
called there. A `run()` is Flask-free when neither the entry module nor the module that defines `run()`:

* holds, in its namespace (module globals), the flask module or one of its submodules, a werkzeug context proxy
  (what `from flask import request` binds), or a function or class defined by flask;
* defines a function or method whose code names flask (a local `import flask` or `from flask import g`).

When `run()` is not a plain Python function (a callable object, a builtin), nothing can be told: not Flask-free.
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Dict, Iterator, List, Optional

from werkzeug.local import LocalProxy

from ..script.entry import EntryScript

FLASK = "flask"


def flask_free(entry: EntryScript) -> bool:
    run = _function(entry.run)
    if run is None:
        return False
    namespaces = [vars(entry.module)]
    if run.__globals__ is not namespaces[0]:
        namespaces.append(run.__globals__)
    return not any(_reaches_flask(namespace) for namespace in namespaces) and not _names_flask(run.__code__)


def _function(func: Any) -> Optional[types.FunctionType]:
    func = inspect.unwrap(func)
    func = getattr(func, "__func__", func)  # a bound method: the function behind it
    return func if isinstance(func, types.FunctionType) else None


def _reaches_flask(namespace: Dict[str, Any]) -> bool:
    for value in list(namespace.values()):
        if _is_flask_object(value):
            return True
        if any(_names_flask(code) for code in _own_code(value, namespace)):
            return True
    return False


def _is_flask_object(value: Any) -> bool:
    # type(), not isinstance(): a context proxy forwards attribute lookups (even __class__) to a context that
    # does not exist here.
    if issubclass(type(value), LocalProxy):
        return True
    if isinstance(value, types.ModuleType):
        return _is_flask_name(value.__name__)
    if isinstance(value, (types.FunctionType, type)):
        return _is_flask_name(getattr(value, "__module__", None) or "")
    return False


def _own_code(value: Any, namespace: Dict[str, Any]) -> Iterator[types.CodeType]:
    """The code of the functions and methods the module of `namespace` defines itself."""
    if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
        yield value.__code__
    elif isinstance(value, type) and value.__module__ == namespace.get("__name__"):
        for member in list(vars(value).values()):
            func = getattr(member, "__func__", member)  # staticmethod, classmethod
            if isinstance(func, types.FunctionType) and func.__globals__ is namespace:
                yield func.__code__


def _names_flask(code: types.CodeType) -> bool:
    """The code, or code nested in it (inner functions, lambdas, comprehensions), names flask."""
    stack: List[types.CodeType] = [code]
    while stack:
        current = stack.pop()
        if any(_is_flask_name(name) for name in current.co_names):
            return True
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
    return False


def _is_flask_name(name: str) -> bool:
    return name == FLASK or name.startswith(FLASK + ".")
