"""azmlinfsrv's side of the unified API: the entry script's `run(input_data)` served as the service `score`.

`run()` gets the decoded body (contract §3) through `Invoker.call_run`, so it runs on the worker's serial
scoring thread under SCORING_TIMEOUT_MS, exactly like a `/score` call.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict

import flask

from ..script.invoke import Invoker
from ..script.scoring import ScoringTimeout, WorkerStuck
from .routes import unified_blueprint
from .services import InferenceTimeout, ServiceSet

ENTRY_ENDPOINT = "score"


class EntryScriptService:
    """The entry script as a unified-API `Service` named `score`: `infer` is `run()`, under /score's rules."""

    def __init__(self, invoker: Invoker, timeout_ms: int) -> None:
        self._invoker = invoker
        self._timeout_ms = timeout_ms

    @property
    def name(self) -> str:
        return ENTRY_ENDPOINT

    def infer(self, input_data: Any) -> Any:
        headers = dict(flask.request.headers) if flask.has_request_context() else {}
        try:
            return self._invoker.call_run(input_data, headers)
        except ScoringTimeout:
            raise InferenceTimeout(
                f"Inference exceeded the {self._timeout_ms} ms timeout (SCORING_TIMEOUT_MS)"
            ) from None
        except WorkerStuck:
            raise InferenceTimeout("An earlier run() that exceeded its timeout is still running") from None

    def health(self) -> Any:
        return {"status": "UP"}

    def info(self) -> Any:
        return f"{sys.version_info[0]}.{sys.version_info[1]}"


def entry_blueprint(
    invoker: Invoker, timeout_ms: int, request_id: Callable[[Dict[str, Any]], str]
) -> flask.Blueprint:
    """The unified routes for an azmlinfsrv app, whose own middleware resolves request ids (and answers 431);
    `request_id` reads the id it resolved from the WSGI environ."""
    service = EntryScriptService(invoker, timeout_ms)
    return unified_blueprint(ServiceSet([service]), lambda: request_id(flask.request.environ))
