"""The conversion predicted from the swagger (used under --target) against inference-schema's real conversion.

Each sample script's `ServiceInput` comes from inference-schema itself, as the server builds it; the real outcome
is the script's decorated run() called on the body: the conversion failed when the exception never passed
through the user's own function.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import inspect
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest
from inference_schema.schema_util import get_input_schema

from scorecheck.model import Observation, RequestSpec
from scorecheck.phases.checks import CHECKS, NEAR, WARNING, CheckContext, CheckFailure, Exchange
from scorecheck.phases.predicted_conversion import ConversionPredictor, conversion_predictor
from tests.scorecheck.sc_support import SCRIPTS

DETECTION = SCRIPTS / "detection"
ERROR_BODY = b'{"message": "An unexpected error occurred in scoring script. Check the logs for more info."}'


@functools.cache  # inference-schema registers each decorated function once per process
def _run_of(path: Path) -> Any:
    name = f"predicted_conversion_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.run


def _conversion_fails(run: Any, body: Dict[str, Any]) -> bool:
    """What the server decides: the call raised, and the user's own run() was never on the stack."""
    code = inspect.unwrap(run).__code__
    try:
        run(**copy.deepcopy(body))
    except Exception as exc:
        trace = exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code is code:
                return False
            trace = trace.tb_next
        return True
    return False


def _spec(body: Any, path: str = "/score", method: str = "POST") -> RequestSpec:
    return RequestSpec(method=method, path=path, body=json.dumps(body).encode(), body_source="json")


def _predictor(run: Any) -> ConversionPredictor:
    predictor = conversion_predictor(get_input_schema(run), "/score")
    assert predictor is not None
    return predictor


BODIES: Dict[Path, List[Dict[str, Any]]] = {
    SCRIPTS / "pandas_schema.py": [
        {"data": [{"a": 1, "b": "x"}]},
        {"data": []},
        {"data": [{}]},
        {"data": [{"a": 1}]},
        {"data": [{"a": "seven", "b": "x"}]},
        {"data": [{"a": 1, "b": "x", "c": 2}]},
        {"data": "not a frame"},
        {"data": [{"a": 1.5, "b": 2}]},
        {"data": [{"a": None, "b": "x"}]},
    ],
    SCRIPTS / "numpy_schema.py": [
        {"data": [1, 2, 3]},
        {"data": []},
        {"data": [[1, 2, 3]]},
        {"data": ["x"]},
        {"data": "x"},
        {"data": [1.5, True]},
        {"data": [None]},
    ],
    DETECTION / "ok_doc_nested_numpy" / "score.py": [
        {"Inputs": {"input1": [list(range(10))]}, "GlobalParameters": 1.0},
        {"Inputs": {"input1": []}, "GlobalParameters": 1.0},
        {"Inputs": {"input1": [[1, 2, 3]]}, "GlobalParameters": 1.0},
        {"Inputs": {"input1": [list(range(10))]}, "GlobalParameters": "one"},
        {"Inputs": {"input1": [list(range(10))]}, "GlobalParameters": 2},
        {"Inputs": [], "GlobalParameters": 1.0},
        {"Inputs": {"other": 1}, "GlobalParameters": 1.0},
    ],
    DETECTION / "ok_doc_schema_types" / "score.py": [
        {"numpy_input": [[1.0, 2.0, 3.0, 4.0]], "pandas_input": [{"name": "A", "age": 3}], "scale": 1.0},
        {"numpy_input": [], "pandas_input": [], "scale": 1.0},
        {"numpy_input": [[1.0, 2.0]], "pandas_input": [{"name": "A", "age": 3}]},
        {"numpy_input": [[1.0, 2.0, 3.0, 4.0]], "pandas_input": [{"name": "A", "age": "old"}]},
        {"numpy_input": [[1.0, 2.0, 3.0, 4.0]], "pandas_input": [{"name": "A", "age": 3}], "scale": "x"},
        {"numpy_input": [["a", "b", "c", "d"]], "pandas_input": [{"name": "A", "age": 3}]},
    ],
}


@pytest.mark.parametrize("script", list(BODIES), ids=lambda path: path.parent.name + "/" + path.name)
def test_the_prediction_matches_inference_schemas_own_conversion(script: Path) -> None:
    run = _run_of(script)
    predictor = _predictor(run)
    predicted_failures = 0
    for body in BODIES[script]:
        actual = _conversion_fails(run, body)
        predicted = predictor(_spec(body))
        assert (predicted is not None) == actual, (
            f"{script.name} {body}: predicted {predicted!r}, real {actual}"
        )
        predicted_failures += predicted is not None
    assert 0 < predicted_failures < len(BODIES[script])  # each list holds bodies of both outcomes


def test_only_json_posts_to_the_score_path_are_predicted() -> None:
    predictor = _predictor(_run_of(SCRIPTS / "pandas_schema.py"))
    failing: Dict[str, Any] = {"data": []}
    assert predictor(_spec(failing)) is not None
    assert predictor(_spec(failing, path="/other")) is None
    assert predictor(_spec(failing, method="GET")) is None
    assert predictor(RequestSpec(body=b"{not json", body_source="body")) is None
    assert predictor(_spec([1, 2])) is None  # not an object: the server answers it before any conversion
    assert predictor(_spec({"other": 1})) is None  # the parameter is missing: a 400, not a conversion
    anywhere = conversion_predictor(get_input_schema(_run_of(SCRIPTS / "pandas_schema.py")), None)
    assert anywhere is not None
    assert anywhere(_spec(failing, path="/v1/score")) is not None


def test_nothing_is_predicted_without_a_declared_example() -> None:
    assert conversion_predictor(None, "/score") is None
    assert conversion_predictor({"type": "object", "example": {}}, "/score") is None  # undecorated
    assert (
        conversion_predictor({"type": "object", "properties": {"data": {"type": "array"}}}, "/score") is None
    )


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": ["data"], "example": {"data": [1]}},
        {
            "properties": {
                "data": {"format": "numpy.ndarray", "items": {"type": "integer", "format": "int999"}}
            },
            "example": {"data": [1]},
        },
        {
            "properties": {
                "data": {
                    "format": "numpy.ndarray",
                    "type": "array",
                    "items": {"type": "integer", "format": "int64"},
                }
            },
            "example": {"data": [[1], 2]},
        },
        {"properties": {"data": {"format": "pandas.DataFrame:sideways"}}, "example": {"data": [{"a": 1}]}},
        {"properties": {"data": {"format": "pandas.DataFrame:records"}}, "example": {"data": 7}},
    ],
)
def test_an_odd_swagger_is_never_a_reason_to_stop(schema: Dict[str, Any]) -> None:
    # Under --target the swagger is the endpoint's: whatever it holds, the gate goes on without a prediction.
    predictor = conversion_predictor(schema, "/score")
    assert predictor is None or predictor(_spec({"data": [1]})) is None


def test_a_parameter_that_cannot_be_rebuilt_is_named_and_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = get_input_schema(_run_of(DETECTION / "ok_doc_schema_types" / "score.py"))
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed beside the gate
    predictor = conversion_predictor(schema, "/score")
    assert predictor is not None
    assert list(predictor.params) == ["numpy_input", "scale"]
    assert predictor.unpredicted == ("pandas_input: pandas is not installed beside scorecheck",)
    body = {"numpy_input": [[1.0, 2.0, 3.0, 4.0]], "pandas_input": [], "scale": 1.0}
    assert predictor(_spec(body)) is None  # the pandas conversion would fail, but it is not guessed


def _check(name: str, ctx: CheckContext, lines: Sequence[str] = ()) -> Optional[CheckFailure]:
    exchange = Exchange(
        NEAR, _spec({"data": []}), Observation(500, (), ERROR_BODY, 3.0, "sc-1"), "", tuple(lines)
    )
    try:
        CHECKS[name].run(ctx, exchange)
    except CheckFailure as failure:
        return failure
    return None


def test_without_the_log_a_predicted_conversion_500_is_a_warning() -> None:
    predictor = _predictor(_run_of(SCRIPTS / "pandas_schema.py"))
    remote = CheckContext(has_logs=False, predict_conversion=predictor)
    failure = _check("not_a_server_error", remote)
    assert failure is not None
    assert failure.kind == "ConversionError"
    assert failure.severity == WARNING
    assert "predicted: the endpoint's log is not visible" in failure.message
    assert "data frame has size 0 on dimension #1" in failure.message
    # With the log at hand the log decides: no line saying so, so it is the script's own 500.
    launched = CheckContext(has_logs=True, predict_conversion=predictor)
    failure = _check("not_a_server_error", launched)
    assert failure is not None
    assert failure.kind == "ServerError"
    # Without the log and without a prediction, nothing changes either.
    failure = _check("not_a_server_error", CheckContext(has_logs=False))
    assert failure is not None
    assert failure.kind == "ServerError"
