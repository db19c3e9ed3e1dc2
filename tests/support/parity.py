"""The parity harness of the fast path tests: one script served by two in-process apps, one with the fast path
(azmlinfsrv.web.fast_score) and one without, and the same request sent to both.

Answers are compared on status, header list in order, body, log lines and telemetry records; the spy on
`FastScore.__call__` proves which path answered.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from unittest import mock

import flask
import pytest
from azmlinfsrv.compat.aml_request import RawHttpFlag
from azmlinfsrv.config import CliArgs, ServerConfig, build_config
from azmlinfsrv.script.entry import EntryScript, load_entry
from azmlinfsrv.script.invoke import Invoker
from azmlinfsrv.script.scoring import Scorer
from azmlinfsrv.web.app import create_app
from azmlinfsrv.web.fast_score import FastScore, fast_score, serves
from azmlinfsrv.web.swagger import SwaggerSettings, build_swaggers
from inference_schema import schema_util

# Long enough that no outcome but "slow" comes near it on a loaded machine (a 100,000-deep list is built and
# fails to serialise in "deep"); "slow" sleeps far longer, so it always times out.
TIMEOUT_MS = 2000
REQUEST_ID = "parity-request"
_TIMINGS = re.compile(r"\d+\.\d{3}ms")


class Answer:
    def __init__(self, status: str, headers: List[Tuple[str, str]], body: bytes, logs: List[str]) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.logs = logs

    def comparable(self) -> Tuple[str, List[Tuple[str, str]], bytes, List[str]]:
        headers = [(k, "<ms>" if k == "x-ms-run-fn-exec-ms" else v) for k, v in self.headers]
        return self.status, headers, self.body, self.logs


class RecordingTelemetry:
    """Keeps every record the server sends, without the timings (they differ between any two requests)."""

    def __init__(self) -> None:
        self.records: List[Any] = []

    def request(self, **fields: Any) -> None:
        assert isinstance(fields.pop("started"), datetime)
        assert fields.pop("seconds") >= 0
        self.records.append(("request", fields))

    def exception(self, exc: BaseException, ids: Dict[str, str]) -> None:
        self.records.append(("exception", type(exc).__name__, ids))

    def model_data(self, ids: Dict[str, str], input_value: Any, prediction: Any) -> None:
        # A @rawhttp run()'s input is a request object: its repr names the request, not the object's address.
        self.records.append(("model_data", ids, repr(input_value), repr(prediction)))

    def take(self) -> List[Any]:
        records, self.records = self.records, []
        return records


@contextlib.contextmanager
def fresh_worker_state() -> Iterator[None]:
    """Load a script as a new worker would, and leave the test process as it was.

    `@rawhttp` sets a process-wide flag, and inference-schema keeps the schemas of every decorated function by
    module and name (every entry script is the same module here): inside, neither holds what earlier scripts of
    this test process left; afterwards, both hold it again, for the other tests' scripts loaded before.
    """
    registries = [vars(schema_util)["__functions_schema__"], vars(schema_util)["__versions__"]]
    saved_flag, saved = RawHttpFlag.enabled, [dict(registry) for registry in registries]
    RawHttpFlag.enabled = False
    for registry in registries:
        registry.clear()
    try:
        yield
    finally:
        RawHttpFlag.enabled = saved_flag
        for registry, before in zip(registries, saved):
            registry.clear()
            registry.update(before)


def load_fresh(config: ServerConfig) -> EntryScript:
    """The script loaded as by a new worker (see `fresh_worker_state`), for what is decided at load time."""
    with fresh_worker_state():
        return load_entry(config)


class ParityApps:
    """The same script served with and without the fast path, in this process."""

    def __init__(
        self,
        script: Path,
        tmp_path: Path,
        env: Optional[Dict[str, str]] = None,
        telemetry: Optional[RecordingTelemetry] = None,
    ) -> None:
        config = build_config(
            CliArgs(entry_script=str(script), host="127.0.0.1"),
            {"SCORING_TIMEOUT_MS": str(TIMEOUT_MS), **(env or {})},
            str(tmp_path),
        )
        with fresh_worker_state():
            entry = load_entry(config)
            entry.init()
            swaggers = build_swaggers(
                SwaggerSettings(app_root=str(tmp_path)), entry.run, logging.getLogger("test")
            )
        sink: Any = telemetry
        self.invoker = Invoker(entry, Scorer(), config.scoring_timeout_ms, config.worker_timeout, sink)
        assert serves(entry), "the sample must take the fast path"
        self.fast = create_app(config, self.invoker, swaggers, sink)
        self.flask = create_app(config, self.invoker, swaggers, sink, fast_path=False)
        path = fast_score(self.invoker, self.flask)
        assert path is not None
        self.path: FastScore = path


def environ(
    body: bytes, content_type: Optional[str] = "application/json", path: str = "/score", **extra: Any
) -> Dict[str, Any]:
    """A POST as gunicorn hands it over (it terminates the input stream itself)."""
    env: Dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5001",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:5001",
        "HTTP_X_REQUEST_ID": REQUEST_ID,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    env.update(extra)
    return env


def call(app: flask.Flask, env: Dict[str, Any], caplog: pytest.LogCaptureFixture) -> Answer:
    caplog.clear()
    seen: Dict[str, Any] = {}

    def start_response(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, list(headers)

    chunks = app(env, start_response)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    # First line of each message: tracebacks differ in the frames of the two paths, not in what they report.
    logs = [
        f"{r.levelname} {r.name} {_TIMINGS.sub('<ms>', r.getMessage().splitlines()[0])}"
        for r in caplog.records
        if r.name.startswith("azmlinfsrv")
    ]
    return Answer(seen["status"], seen["headers"], body, logs)


def both(
    apps: ParityApps, caplog: pytest.LogCaptureFixture, via_fast: bool = True, **kwargs: Any
) -> Tuple[Answer, Answer]:
    """The answers of both apps; also checks that the fast app answered through FastScore exactly when
    `via_fast`, and that the other app never did."""
    body = kwargs.pop("body")
    fast_env = environ(body, **kwargs)
    expected_fast_calls = 1 if via_fast else 0
    with mock.patch.object(FastScore, "__call__", autospec=True, side_effect=FastScore.__call__) as spy:
        fast = call(apps.fast, fast_env, caplog)
        assert spy.call_count == expected_fast_calls
        slow = call(apps.flask, environ(body, **kwargs), caplog)
        assert spy.call_count == expected_fast_calls
    return fast, slow


def recorded_both(
    apps: ParityApps, telemetry: RecordingTelemetry, caplog: pytest.LogCaptureFixture, **kwargs: Any
) -> Tuple[Answer, List[Any], Answer, List[Any]]:
    """As `both` (always via the fast path), with the telemetry records each path sent."""
    body = kwargs.pop("body")
    telemetry.take()
    with mock.patch.object(FastScore, "__call__", autospec=True, side_effect=FastScore.__call__) as spy:
        fast = call(apps.fast, environ(body, **kwargs), caplog)
        assert spy.call_count == 1
        fast_records = telemetry.take()
        slow = call(apps.flask, environ(body, **kwargs), caplog)
        assert spy.call_count == 1
    return fast, fast_records, slow, telemetry.take()
