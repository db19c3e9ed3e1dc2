"""The /score pipeline: decode the request, call `run()` under its deadline, turn the result into a response.

Every response a script can cause here is the one production gives (status, body, headers), failures
included; where production does something surprising we do it too and log a warning naming the fix.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import time
import traceback
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple, Union

import flask
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as WerkzeugResponse

from ..log_format import Verbatim
from ..log_lines import log_fast
from ..telemetry import Telemetry
from .entry import HEADERS_PARAM, EntryScript, format_chained
from .modes import InputError, run_kwargs
from .scoring import Scorer, ScoringTimeout, WorkerStuck

logger = logging.getLogger("azmlinfsrv")
FAILED_HEADER = "x-ms-run-function-failed"
EXEC_MS_HEADER = "x-ms-run-fn-exec-ms"
SCRIPT_ERROR = "An unexpected error occurred in scoring script. Check the logs for more info."
INTERNAL_ERROR = "An unexpected internal error occurred. Check the logs for more info."


class UserScriptError(Exception):
    """Wraps an exception raised by user code, so the log shows both the user's frames and our context."""


# The traceback's last line names this class (`azmlinfsrv.invoke.UserScriptError: Caught an unhandled exception
# from the user script`); logs are read and grepped with that name, so it stays as it was before the module moved.
UserScriptError.__module__ = "azmlinfsrv.invoke"


def json_response(status: int, payload: Any, failed: bool = False) -> flask.Response:
    response = flask.Response(json.dumps(payload), status=status, mimetype="application/json")
    response.headers[FAILED_HEADER] = "True" if failed else "False"
    return response


def message_response(status: int, message: str, failed: bool = False) -> flask.Response:
    return json_response(status, {"message": message}, failed)


def unhandled_response(exc: BaseException) -> flask.Response:
    """Production's answer to an exception no step handled (such as JSON too deep or an integer too long to
    parse): the traceback logged as `Encountered Exception: ...`, and the internal-error 500."""
    logger.error("Encountered Exception: %s", Verbatim("".join(traceback.format_exception(exc))))
    return message_response(500, INTERNAL_ERROR)


class Invoker:
    """Calls one worker's `run()` for a request and turns the outcome into production's response.

    `score` is the whole `/score` pipeline for the Flask path; `run_timed` is its call-and-map-errors core, shared
    with the fast path (web/fast_score.py); `call_run` serves other routes (the unified `/infer`). Calls go through
    the worker's `Scorer`, so they are serial and under SCORING_TIMEOUT_MS whichever path or thread they come from.
    The request's ids arrive as a value (`ids`, as telemetry names them) and are used only for telemetry records,
    so nothing here reads Flask's request context.
    """

    def __init__(
        self,
        entry: EntryScript,
        scorer: Scorer,
        timeout_ms: int,
        worker_timeout_s: int,
        telemetry: Optional[Telemetry] = None,
    ) -> None:
        self._entry = entry
        self._telemetry = telemetry
        self._scorer = scorer
        self._timeout_ms = timeout_ms
        self._worker_timeout_s = worker_timeout_s

    @property
    def entry(self) -> EntryScript:
        return self._entry

    @property
    def telemetry(self) -> Optional[Telemetry]:
        return self._telemetry

    @property
    def raw_mode(self) -> bool:
        return self._entry.mode == "raw"

    def call_run(self, data: Any, headers: Optional[Dict[str, str]] = None) -> Any:
        """Call run() with `data` as its data parameter, serially and under SCORING_TIMEOUT_MS.

        For routes other than /score (the unified /infer API). Raises ScoringTimeout, WorkerStuck or whatever
        run() raised.
        """
        kwargs: Dict[str, Any] = {self._entry.data_param: data}
        if self._entry.wants_headers:
            kwargs[HEADERS_PARAM] = dict(headers or {})
        return self._scorer.call(
            self._entry.run, self._timeout_ms / 1000.0, float(self._worker_timeout_s), **kwargs
        )

    def score(self, request: flask.Request, ids: Mapping[str, str]) -> WerkzeugResponse:
        try:
            kwargs = run_kwargs(self._entry, request)
        except InputError as exc:
            return message_response(exc.status, exc.message)
        outcome = self.run_timed(kwargs, ids)
        if isinstance(outcome, WerkzeugResponse):
            return outcome
        result, elapsed_ms = outcome
        return with_run_headers(to_response(result), elapsed_ms)

    def run_timed(
        self, kwargs: Dict[str, Any], ids: Mapping[str, str]
    ) -> Union[WerkzeugResponse, Tuple[Any, float]]:
        """Call run() under its deadline: `(result, elapsed ms)`, or the error response when it failed.

        `ids` are the request's ids as telemetry records name them (`RequestIds.as_telemetry()`); they are read only
        when telemetry is on.
        """
        started = time.perf_counter()
        try:
            result = self._scorer.call(
                self._entry.run, self._timeout_ms / 1000.0, float(self._worker_timeout_s), **kwargs
            )
        except ScoringTimeout as exc:
            logger.error("Scoring timeout after %d ms: run() did not return in time.", self._timeout_ms)
            self._report(exc, ids)
            return message_response(500, f"Scoring timeout after {self._timeout_ms} ms", failed=True)
        except WorkerStuck:
            logger.error(
                "run() could not start within the worker timeout (%d s): an earlier run() never returned.",
                self._worker_timeout_s,
            )
            return message_response(500, INTERNAL_ERROR)
        except Exception as exc:
            _log_user_exception(exc)
            if self._entry.mode == "schema" and not _entered(self._entry.run, exc):
                _log_conversion_failure(exc)
            self._report(exc, ids)
            return message_response(500, SCRIPT_ERROR, failed=True)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        if self._telemetry is not None:
            self._telemetry.model_data(ids, kwargs.get(self._entry.data_param), result)
        return result, elapsed_ms

    def _report(self, exc: BaseException, ids: Mapping[str, str]) -> None:
        if self._telemetry is not None:
            self._telemetry.exception(exc, ids)

    def options(self) -> flask.Response:
        response = flask.Response(b"", status=200, content_type="text/html; charset=utf-8")
        response.headers[FAILED_HEADER] = "False"
        return response


def _log_user_exception(exc: BaseException) -> None:
    wrapped = UserScriptError("Caught an unhandled exception from the user script")
    wrapped.__cause__ = exc
    logger.error("Encountered Exception: %s", Verbatim(format_chained(wrapped)))


# Our additive log line (upstream logs only the traceback): the 500 came from inference-schema converting the
# body, before run()'s own code started, so no change to run() can prevent it.
CONVERSION_FAILED = "run() was not entered: inference-schema could not convert the request body"


def _entered(run: Any, exc: BaseException) -> bool:
    """Whether the exception passed through the user's own run() (under its @input_schema wrappers)."""
    code = getattr(inspect.unwrap(run), "__code__", None)
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code is code:
            return True
        trace = trace.tb_next
    return code is None  # not a plain function: cannot tell, so do not claim it was the conversion


def _log_conversion_failure(exc: BaseException) -> None:
    logger.warning(
        "%s (%s: %s). Production answers 500 for this body too. Fix: have clients send what the "
        "@input_schema sample describes, or declare the parameter with a looser type "
        "(StandardPythonParameterType) and validate it in run() with a 400.",
        CONVERSION_FAILED,
        type(exc).__name__,
        exc,
    )


def with_run_headers(response: WerkzeugResponse, elapsed_ms: float) -> WerkzeugResponse:
    """Add the run headers to the response for a run() that returned, unless it is an error of ours."""
    if not _has_header(response.headers, _FAILED_ONLY):
        # add, not set: to_response removed any copy of these, and set() rescans the whole header list.
        response.headers.add(FAILED_HEADER, "True" if _failed(response) else "False")
        response.headers.add(EXEC_MS_HEADER, f"{elapsed_ms:.3f}")
    return response


_RUN_HEADERS = frozenset((FAILED_HEADER, EXEC_MS_HEADER))
_FAILED_ONLY = frozenset((FAILED_HEADER,))


def _has_header(headers: Headers, lowered_names: FrozenSet[str]) -> bool:
    """Whether any of the names is in `headers`, without `in`, which raises and catches for a missing name."""
    return any(name.lower() in lowered_names for name, _ in headers)


def _failed(response: WerkzeugResponse) -> bool:
    return response.status_code >= 500 or bool(getattr(response, "run_function_failed", False))


def to_response(result: Any) -> WerkzeugResponse:
    """Serialise `run()`'s return value the way production does (see the contract's return-value table)."""
    if isinstance(result, WerkzeugResponse):
        log_fast(logger, "run() output is HTTP Response")
        # The server owns these headers; a script's own values would give duplicate lines. Looked for first:
        # `Headers.pop` of a missing name raises and catches an HTTP exception, which costs more than the scan.
        if _has_header(result.headers, _RUN_HEADERS):
            result.headers.pop(FAILED_HEADER, None)
            result.headers.pop(EXEC_MS_HEADER, None)
        return result
    return body_response(serialise(result))


def body_response(body: Optional[str]) -> WerkzeugResponse:
    """The response for a serialised run() result; None (it did not serialise) is production's 500."""
    if body is None:
        return message_response(500, INTERNAL_ERROR)
    return flask.Response(body, status=200, mimetype="application/json")


def serialise(result: Any) -> Optional[str]:
    """run()'s plain return value as production's JSON text, or None (logged) when production answers 500."""
    if result is None:
        return "{}"
    try:
        return json.dumps(result, allow_nan=False)
    except ValueError:
        pass
    except (TypeError, RecursionError) as exc:
        _log_unserialisable(result, exc)
        return None
    try:
        body = json.dumps(result)
    except (TypeError, ValueError, RecursionError) as exc:
        _log_unserialisable(result, exc)
        return None
    if _has_non_finite(result):
        logger.warning(
            "run() returned NaN or Infinity. The response body holds a bare NaN/Infinity, as production sends it, "
            "which is invalid JSON that strict clients reject. Replace non-finite values (for example with None) "
            "before returning."
        )
    return body


def _has_non_finite(value: Any) -> bool:
    # Only reached for values that serialised, so they hold no cycles.
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(v) for v in value)
    return False


def _log_unserialisable(result: Any, exc: Exception) -> None:
    hint = ""
    module = type(result).__module__ or ""
    if module.split(".")[0] == "numpy" or _contains_numpy(result):
        hint = (
            " run() returned a numpy value, which production cannot serialise either (it answers 500). Return "
            "plain Python values: call .tolist() on arrays and .item() on numpy scalars."
        )
    logger.error("Encountered Exception: could not serialise the value returned by run(): %s.%s", exc, hint)


def _contains_numpy(value: Any, depth: int = 0) -> bool:
    # Bounded depth: the value may be self-referencing (that is why it did not serialise).
    if depth > 32:
        return False
    if isinstance(value, dict):
        return any(_contains_numpy(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_numpy(v, depth + 1) for v in value)
    return (type(value).__module__ or "").split(".")[0] == "numpy"
