"""What inference-schema's conversion would make of a request body, predicted from the swagger document.

A launched server logs a line when inference-schema's own conversion fails before `run()` is entered, and the
gate reports that 500 as a warning (production answers 500 too, and no change to `run()` prevents it). Under
`--target` that line is out of sight, and the 500's body is the same as for an exception in `run()`. So the gate
rebuilds the parameter types from the endpoint's `ServiceInput` and runs inference-schema's own conversion on the
body locally: when it fails here, the 500 is reported as a predicted conversion failure.

What the swagger does not record is taken at inference-schema's defaults: shape and column types enforced, and
nested plain values not wrapped in a parameter type of their own. The first can only make a prediction too
eager (a script that turns enforcement off); the second only too shy, which keeps today's failure. A parameter
that cannot be rebuilt (pandas not installed here, a structured or timedelta dtype) is never predicted.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass, field
from io import StringIO
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..model import RequestSpec

NUMPY_FORMAT = "numpy.ndarray"
PANDAS_PREFIX = "pandas.DataFrame:"
# Swagger number formats back to the dtype inference-schema wrote them from (float16 and float32 both say
# "float": either gives the same verdict on JSON numbers).
_NUMBER_DTYPES = {"double": "float64", "float": "float32", None: "float64"}


class _CannotRebuild(Exception):
    """The swagger does not say enough to rebuild this parameter type."""


@dataclass(frozen=True)
class ConversionPredictor:
    """Predicts, for one request, the error inference-schema's conversion raises (None: it converts)."""

    score_path: Optional[str]  # None: every POST path
    params: Mapping[str, Any]  # parameter name -> rebuilt inference-schema parameter type
    convert: Callable[[Any, Any, str], Any]  # inference-schema's own per-argument conversion
    unpredicted: Tuple[str, ...] = field(default=())  # "name: why" for parameters left out

    def __call__(self, request: RequestSpec) -> Optional[str]:
        if request.method != "POST" or self.score_path not in (None, request.path) or not request.body:
            return None
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return None  # the server refuses it with a 400 before any conversion
        if not isinstance(body, dict):
            return None
        for name, param_type in self.params.items():
            if name not in body:
                continue
            try:
                with warnings.catch_warnings():  # the library's warnings are the endpoint's, not the gate's
                    warnings.simplefilter("ignore")
                    self.convert(copy.deepcopy(body[name]), param_type, name)
            except Exception as exc:  # any error inference-schema raises is the server's 500
                return f"{type(exc).__name__}: {exc}"
        return None


def conversion_predictor(
    input_schema: Optional[Mapping[str, Any]], score_path: Optional[str]
) -> Optional[ConversionPredictor]:
    """A predictor for the declared parameters, or None when nothing can be predicted (no schema, no example,
    or inference-schema not importable here)."""
    if not input_schema or not isinstance(input_schema.get("example"), dict):
        return None
    try:
        from inference_schema.schema_decorators import _deserialize_input_argument
    except ImportError:
        return None
    example: Dict[str, Any] = input_schema["example"]
    properties = input_schema.get("properties")
    params: Dict[str, Any] = {}
    unpredicted: List[str] = []
    for name, node in properties.items() if isinstance(properties, Mapping) else ():
        if name not in example or not isinstance(node, Mapping):
            continue
        try:
            params[name] = _rebuild(node, example[name], top=True)
        except _CannotRebuild as exc:
            unpredicted.append(f"{name}: {exc}")
        # An endpoint's swagger is outside our control: never a reason to stop the gate.
        except Exception as exc:
            unpredicted.append(f"{name}: its swagger cannot be rebuilt here ({type(exc).__name__}: {exc})")
    if not params:
        return None
    return ConversionPredictor(score_path, params, _deserialize_input_argument, tuple(unpredicted))


def _rebuild(node: Mapping[str, Any], sample: Any, top: bool = False) -> Any:
    """The parameter type for one swagger node and its example; a plain sample below the top level."""
    fmt = node.get("format")
    if fmt == NUMPY_FORMAT:
        return _numpy_type(node, sample)
    if isinstance(fmt, str) and fmt.startswith(PANDAS_PREFIX):
        return _pandas_type(node, sample, fmt[len(PANDAS_PREFIX) :])
    from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType

    nested = _nested_types(node, sample)
    if nested:
        return StandardPythonParameterType({**sample, **nested})
    return StandardPythonParameterType(sample) if top else sample


def _nested_types(node: Mapping[str, Any], sample: Any) -> Dict[str, Any]:
    """The members of a dict sample that are numpy or pandas types, or hold one further down."""
    properties = node.get("properties")
    if not isinstance(sample, dict) or not isinstance(properties, Mapping):
        return {}
    nested: Dict[str, Any] = {}
    for key, child in properties.items():
        if key in sample and isinstance(child, Mapping) and _declares_frame_or_array(child):
            nested[key] = _rebuild(child, sample[key])
    return nested


def _declares_frame_or_array(node: Mapping[str, Any]) -> bool:
    fmt = node.get("format")
    if fmt == NUMPY_FORMAT or (isinstance(fmt, str) and fmt.startswith(PANDAS_PREFIX)):
        return True
    properties = node.get("properties")
    return isinstance(properties, Mapping) and any(
        isinstance(child, Mapping) and _declares_frame_or_array(child) for child in properties.values()
    )


def _numpy_type(node: Mapping[str, Any], sample: Any) -> Any:
    import numpy as np
    from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType

    leaf = node
    while leaf.get("type") == "array" and isinstance(leaf.get("items"), Mapping):
        leaf = leaf["items"]
    dtype = _leaf_dtype(leaf, sample)
    try:
        array = np.array(sample, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise _CannotRebuild(f"its example is not a {dtype} array ({exc})") from exc
    return NumpyParameterType(array)


def _leaf_dtype(leaf: Mapping[str, Any], sample: Any) -> Any:
    kind, fmt = leaf.get("type"), leaf.get("format")
    if kind == "integer" and isinstance(fmt, str):
        return fmt
    if kind == "number":
        return _NUMBER_DTYPES.get(fmt, "float64")
    if kind == "boolean":
        return "bool"
    if kind == "string" and fmt == "date-time":
        return "datetime64[ns]"
    if kind == "string" and fmt is None:
        import numpy as np

        return np.array(sample).dtype  # the sample's own fixed-width string type
    raise _CannotRebuild(f"its item type ({kind}, format {fmt}) is not rebuilt")


def _pandas_type(node: Mapping[str, Any], sample: Any, orient: str) -> Any:
    try:
        import pandas as pd
        from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
    except ImportError as exc:
        raise _CannotRebuild("pandas is not installed beside scorecheck") from exc
    try:
        frame = pd.read_json(StringIO(json.dumps(sample)), orient=orient, dtype=False)
        columns = _column_dtypes(node) if orient == "records" else {}
        frame = frame.astype({name: dtype for name, dtype in columns.items() if name in frame.columns})
        return PandasParameterType(frame, orient=orient)
    except Exception as exc:  # pandas raises many types for a frame it cannot build
        raise _CannotRebuild(f"its example is not a {orient} data frame here ({exc})") from exc


def _column_dtypes(node: Mapping[str, Any]) -> Dict[str, str]:
    items = node.get("items")
    properties = items.get("properties") if isinstance(items, Mapping) else None
    if not isinstance(properties, Mapping):
        return {}
    dtypes: Dict[str, str] = {}
    for name, column in properties.items():
        if not isinstance(column, Mapping):
            continue
        kind, fmt = column.get("type"), column.get("format")
        if kind == "integer" and isinstance(fmt, str):
            dtypes[name] = fmt
        elif kind == "number":
            dtypes[name] = _NUMBER_DTYPES.get(fmt, "float64")
        elif kind == "boolean":
            dtypes[name] = "bool"
        elif fmt == "date-time":
            dtypes[name] = "datetime64[ns]"
        elif fmt == "timedelta":
            dtypes[name] = "timedelta64[ns]"
    return dtypes
