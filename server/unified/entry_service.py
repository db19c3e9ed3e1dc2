"""azmlinfsrv's side of the unified API: the entry script's `run(input_data)` served as the service `score`.

`run()` gets the decoded body (contract §3) through `Invoker.call_run`, so it runs on the worker's serial
scoring thread under SCORING_TIMEOUT_MS, exactly like a `/score` call.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import flask

from ..headers import request_ids
from ..invoke import Invoker
from ..scoring import ScoringTimeout, WorkerStuck
from .routes import unified_blueprint
from .services import InferenceTimeout, ServiceSet

ENTRY_ENDPOINT = "score"


class EntryScriptService:
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


def entry_blueprint(invoker: Invoker, timeout_ms: int) -> flask.Blueprint:
    """The unified routes for an azmlinfsrv app, whose own hooks resolve request ids (and answer 431)."""
    return unified_blueprint(ServiceSet([EntryScriptService(invoker, timeout_ms)]), _azml_request_id)


def _azml_request_id() -> str:
    ids = request_ids(flask.request.environ)
    request_id = ids.request_id if ids is not None else None
    return request_id if isinstance(request_id, str) else str(uuid.uuid4())
