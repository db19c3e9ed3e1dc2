"""Unit tests for azmlinfsrv.invoke: serialising run()'s result and the /score pipeline around it."""

from __future__ import annotations

import inspect
import json
import logging
import re
import threading
import time
import types
from typing import Any, Callable, Dict, Iterator, List

import flask
import numpy as np
import pytest
from azmlinfsrv.compat.aml_response import AMLResponse
from azmlinfsrv.script.entry import EntryScript
from azmlinfsrv.script.invoke import (
    EXEC_MS_HEADER,
    FAILED_HEADER,
    INTERNAL_ERROR,
    SCRIPT_ERROR,
    Invoker,
    to_response,
)
from azmlinfsrv.script.scoring import Scorer, ScoringTimeout
from azmlinfsrv.web.ids import RequestIds
from werkzeug.wrappers import Response as WerkzeugResponse

EMPTY = inspect.Parameter.empty
APP = flask.Flask("test_invoke")
EXEC_MS = re.compile(r"^\d+\.\d{3}$")

pytestmark = pytest.mark.usefixtures("server_logs_reach_caplog")


@pytest.fixture
def post() -> Iterator[flask.Request]:
    with APP.test_request_context("/score", method="POST", data=b'{"x": 1}', content_type="application/json"):
        yield flask.request._get_current_object()  # type: ignore[attr-defined]


def entry_for(run: Callable[..., Any], mode: str = "json") -> EntryScript:
    return EntryScript(
        None, types.ModuleType("fake"), lambda: None, run, mode, "data", False, (("data", EMPTY),)
    )


def invoker_for(run: Callable[..., Any], mode: str = "json", timeout_ms: int = 5000) -> Invoker:
    return Invoker(entry_for(run, mode), Scorer(), timeout_ms, 30)


def body(response: WerkzeugResponse) -> bytes:
    return response.get_data()


def log_lines(caplog: pytest.LogCaptureFixture, level: int) -> List[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


# --- to_response / serialisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, b"{}"),
        ("plain string", b'"plain string"'),
        ([1, 2, 3], b"[1, 2, 3]"),
        ({"message": "Hello, World!"}, b'{"message": "Hello, World!"}'),
        ({"caf\u00e9": 1.5}, b'{"caf\\u00e9": 1.5}'),
        (7, b"7"),
        (True, b"true"),
        ((1, "a"), b'[1, "a"]'),
        ({}, b"{}"),
    ],
)
def test_serialises_plain_values(value: Any, expected: bytes) -> None:
    response = to_response(value)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert body(response) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("nan"), b"NaN"),
        ({"v": [1.0, float("inf")]}, b'{"v": [1.0, Infinity]}'),
        ([float("-inf")], b"[-Infinity]"),
    ],
)
def test_non_finite_values_are_sent_bare_with_warning(
    caplog: pytest.LogCaptureFixture, value: Any, expected: bytes
) -> None:
    response = to_response(value)
    assert response.status_code == 200
    assert body(response) == expected
    warnings = log_lines(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert "NaN" in warnings[0]


def test_finite_values_give_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    to_response({"v": [1.0, 2.5]})
    assert not log_lines(caplog, logging.WARNING)


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object(), {"k": {1}}, {(1, 2): "tuple key"}])
def test_unserialisable_values_are_internal_errors(caplog: pytest.LogCaptureFixture, value: Any) -> None:
    response = to_response(value)
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert json.loads(body(response)) == {"message": INTERNAL_ERROR}
    assert (
        body(response)
        == b'{"message": "An unexpected internal error occurred. Check the logs for more info."}'
    )
    assert response.headers.getlist(FAILED_HEADER) == ["False"]
    errors = log_lines(caplog, logging.ERROR)
    assert len(errors) == 1
    assert ".tolist()" not in errors[0]


def test_circular_value_is_internal_error() -> None:
    value: List[Any] = []
    value.append(value)
    response = to_response(value)
    assert response.status_code == 500
    assert json.loads(body(response)) == {"message": INTERNAL_ERROR}


@pytest.mark.parametrize(
    "value",
    [np.array([1, 2, 3]), np.int64(3), {"prediction": np.array([0.5])}, [np.bool_(True)]],
    ids=["ndarray", "int64", "nested-array", "nested-bool"],
)
def test_numpy_values_fail_with_tolist_hint(caplog: pytest.LogCaptureFixture, value: Any) -> None:
    response = to_response(value)
    assert response.status_code == 500
    assert json.loads(body(response)) == {"message": INTERNAL_ERROR}
    assert response.headers[FAILED_HEADER] == "False"
    errors = log_lines(caplog, logging.ERROR)
    assert len(errors) == 1
    assert ".tolist()" in errors[0]


def test_http_response_passes_through(caplog: pytest.LogCaptureFixture) -> None:
    original = AMLResponse("hi", 202, {FAILED_HEADER: "True", "X-Other": "1"})
    response = to_response(original)
    assert response is original
    assert response.status_code == 202
    assert body(response) == b"hi"
    assert FAILED_HEADER not in response.headers
    assert response.headers["X-Other"] == "1"
    assert "run() output is HTTP Response" in log_lines(caplog, logging.INFO)


# --- Invoker ---------------------------------------------------------------------------------------------------


def test_success_headers(post: flask.Request) -> None:
    response = invoker_for(lambda data: {"got": data}).score(post, {})
    assert response.status_code == 200
    assert body(response) == b'{"got": "{\\"x\\": 1}"}'
    assert response.headers.getlist(FAILED_HEADER) == ["False"]
    assert EXEC_MS.match(response.headers[EXEC_MS_HEADER])


def test_exec_ms_measures_run(post: flask.Request) -> None:
    def slow(data: str) -> str:
        time.sleep(0.05)
        return "ok"

    response = invoker_for(slow).score(post, {})
    assert float(response.headers[EXEC_MS_HEADER]) >= 45.0


def test_run_raises(post: flask.Request, caplog: pytest.LogCaptureFixture) -> None:
    def boom(data: str) -> None:
        raise ValueError("boom")

    response = invoker_for(boom).score(post, {})
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert body(response) == json.dumps({"message": SCRIPT_ERROR}).encode()
    assert SCRIPT_ERROR == "An unexpected error occurred in scoring script. Check the logs for more info."
    assert response.headers.getlist(FAILED_HEADER) == ["True"]
    assert EXEC_MS_HEADER not in response.headers
    errors = log_lines(caplog, logging.ERROR)
    assert len(errors) == 1
    assert errors[0].startswith("Encountered Exception: ")
    assert "ValueError: boom" in errors[0]
    assert "The above exception was the direct cause of the following exception" in errors[0]
    assert "Caught an unhandled exception from the user script" in errors[0]
    assert errors[0].index("ValueError: boom") < errors[0].index("Caught an unhandled exception")


def test_timeout(post: flask.Request) -> None:
    def spin(data: str) -> None:
        while True:
            pass

    started = time.monotonic()
    response = invoker_for(spin, timeout_ms=200).score(post, {})
    assert time.monotonic() - started < 30  # the loop never ends by itself
    assert response.status_code == 500
    assert body(response) == b'{"message": "Scoring timeout after 200 ms"}'
    assert response.headers[FAILED_HEADER] == "True"
    assert EXEC_MS_HEADER not in response.headers


def test_input_error_does_not_call_run() -> None:
    calls = []
    invoker = Invoker(
        EntryScript(
            None,
            types.ModuleType("f"),
            lambda: None,
            calls.append,
            "schema",
            "data",
            False,
            (("data", EMPTY),),
        ),
        Scorer(),
        5000,
        30,
    )
    with APP.test_request_context("/score", method="POST", data=b"x", content_type="text/plain"):
        response = invoker.score(flask.request._get_current_object(), {})  # type: ignore[attr-defined]
    assert response.status_code == 415
    assert body(response) == b'{"message": "Expects Content-Type to be application/json"}'
    assert response.headers[FAILED_HEADER] == "False"
    assert EXEC_MS_HEADER not in response.headers
    assert calls == []


def test_unserialisable_result_is_internal_error(post: flask.Request) -> None:
    response = invoker_for(lambda data: {1, 2}).score(post, {})
    assert response.status_code == 500
    assert json.loads(body(response)) == {"message": INTERNAL_ERROR}
    assert response.headers.getlist(FAILED_HEADER) == ["False"]
    assert EXEC_MS_HEADER not in response.headers


@pytest.mark.parametrize(
    ("make", "status", "failed"),
    [
        (lambda: AMLResponse("ok", 200, {FAILED_HEADER: "True"}), 200, "False"),
        (lambda: AMLResponse("bad thing", 500), 500, "True"),
        (lambda: AMLResponse("meh", 200, run_function_failed=True), 200, "True"),
        (lambda: AMLResponse("teapot", 418, {FAILED_HEADER: "True, False"}), 418, "False"),
        (lambda: WerkzeugResponse("down", status=503), 503, "True"),
        (lambda: flask.Response("fine", status=201, headers={FAILED_HEADER: "True"}), 201, "False"),
    ],
)
def test_response_objects_get_one_server_controlled_failed_header(
    post: flask.Request, make: Callable[[], WerkzeugResponse], status: int, failed: str
) -> None:
    response = invoker_for(lambda data: make(), mode="raw").score(post, {})
    assert response.status_code == status
    assert response.headers.getlist(FAILED_HEADER) == [failed]
    assert EXEC_MS.match(response.headers[EXEC_MS_HEADER])


def test_content_type_of_aml_response_is_single(post: flask.Request) -> None:
    response = invoker_for(lambda data: AMLResponse(b"\x89PNG", 200, {"Content-Type": "image/png"})).score(
        post, {}
    )
    assert response.headers.getlist("Content-Type") == ["image/png"]
    assert body(response) == b"\x89PNG"


def test_options_response() -> None:
    calls = []
    response = invoker_for(calls.append).options()
    assert response.status_code == 200
    assert body(response) == b""
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers[FAILED_HEADER] == "False"
    assert EXEC_MS_HEADER not in response.headers
    assert calls == []


def test_raw_mode_flag(post: flask.Request) -> None:
    assert invoker_for(lambda data: None, mode="raw").raw_mode is True
    assert invoker_for(lambda data: None).raw_mode is False


def test_worker_stuck_is_internal_error(post: flask.Request, caplog: pytest.LogCaptureFixture) -> None:
    started, release = threading.Event(), threading.Event()

    def block() -> None:
        started.set()
        release.wait(5)

    scorer = Scorer()
    blocker = threading.Thread(target=lambda: scorer.call(block, 10.0, 10.0))
    blocker.start()
    try:
        assert started.wait(5)
        invoker = Invoker(entry_for(lambda data: "never"), scorer, 5000, 0)
        response = invoker.score(post, {})
    finally:
        release.set()
        blocker.join(5)
    assert response.status_code == 500
    assert json.loads(body(response)) == {"message": INTERNAL_ERROR}
    assert response.headers[FAILED_HEADER] == "False"
    assert any("worker timeout" in line for line in log_lines(caplog, logging.ERROR))


class FakeTelemetry:
    def __init__(self) -> None:
        self.exceptions: List[Any] = []
        self.model_records: List[Any] = []

    def exception(self, exc: BaseException, ids: Dict[str, str]) -> None:
        self.exceptions.append((type(exc), ids))

    def model_data(self, ids: Dict[str, str], input_value: Any, prediction: Any) -> None:
        self.model_records.append((ids, input_value, prediction))


def test_run_exceptions_and_timeouts_reach_telemetry() -> None:
    def boom(data: str) -> None:
        raise ValueError("boom")

    def spin(data: str) -> None:
        while True:
            pass

    telemetry = FakeTelemetry()
    ids = RequestIds("rid", "rid", "cid", None)
    for run in (boom, spin, lambda data: "fine"):
        invoker = Invoker(entry_for(run), Scorer(), 200, 30, telemetry)  # type: ignore[arg-type]
        with APP.test_request_context("/score", method="POST", data=b"{}"):
            # The ids arrive as a value, as the headers middleware resolved them: no request context is read.
            invoker.score(flask.request._get_current_object(), ids.as_telemetry())  # type: ignore[attr-defined]
    expected_ids = {"request_id": "rid", "client_request_id": "cid"}
    assert telemetry.exceptions == [(ValueError, expected_ids), (ScoringTimeout, expected_ids)]
    # Only the call that returned produces a model-data record, with the input run() received.
    assert telemetry.model_records == [(expected_ids, "{}", "fine")]


def test_call_run_uses_the_data_parameter_serially() -> None:
    seen: List[Any] = []
    entry = EntryScript(
        None,
        types.ModuleType("fake"),
        lambda: None,
        lambda payload, request_headers: seen.append((payload, request_headers)) or "done",
        "json",
        "payload",
        True,
        (("payload", EMPTY),),
    )
    invoker = Invoker(entry, Scorer(), 5000, 30)
    assert invoker.call_run({"x": 1}, {"X-Foo": "1"}) == "done"
    assert invoker.call_run("text") == "done"
    assert seen == [({"x": 1}, {"X-Foo": "1"}), ("text", {})]


def test_call_run_times_out() -> None:
    def spin(data: Any) -> None:
        while True:
            pass

    with pytest.raises(ScoringTimeout):
        Invoker(entry_for(spin), Scorer(), 200, 30).call_run("x")
