"""The fast path for undecorated POST /score (azmlinfsrv.web.fast_score) answers exactly as the Flask path does.

Each request goes through two apps built from the same script, one with the fast path and one without, and the
status, headers, body, log lines and telemetry records must match. The HTTP-level conformance checks run against the fast path too
(their undecorated sample scripts take it), so both paths are covered end to end.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import flask
import pytest
from azmlinfsrv.compat import aliases
from azmlinfsrv.config import CliArgs, build_config
from azmlinfsrv.script.entry import load_entry
from azmlinfsrv.script.invoke import Invoker
from azmlinfsrv.script.scoring import Scorer
from azmlinfsrv.web.app import create_app
from azmlinfsrv.web.fast_score import FastScore, fast_score
from azmlinfsrv.web.swagger import SwaggerSettings, build_swaggers
from support import SCRIPTS_DIR

# Long enough that no outcome but "slow" comes near it on a loaded machine (a 100,000-deep list is built and
# fails to serialise in "deep"); "slow" sleeps far longer, so it always times out.
TIMEOUT_MS = 2000
REQUEST_ID = "parity-request"
_TIMINGS = re.compile(r"\d+\.\d{3}ms")

pytestmark = pytest.mark.usefixtures("server_logs_reach_caplog")


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
        self.records.append(("model_data", ids, input_value, repr(prediction)))

    def take(self) -> List[Any]:
        records, self.records = self.records, []
        return records


class ParityApps:
    """The same script served with and without the fast path, in this process."""

    def __init__(self, script: Path, tmp_path: Path, telemetry: Optional[RecordingTelemetry] = None) -> None:
        config = build_config(
            CliArgs(entry_script=str(script), host="127.0.0.1"),
            {"SCORING_TIMEOUT_MS": str(TIMEOUT_MS)},
            str(tmp_path),
        )
        entry = load_entry(config)
        entry.init()
        swaggers = build_swaggers(
            SwaggerSettings(app_root=str(tmp_path)), entry.run, logging.getLogger("test")
        )
        sink: Any = telemetry
        self.invoker = Invoker(entry, Scorer(), config.scoring_timeout_ms, config.worker_timeout, sink)
        assert fast_score(self.invoker) is not None, "the sample must take the fast path"
        self.fast = create_app(config, self.invoker, swaggers, sink)
        self.flask = create_app(config, self.invoker, swaggers, sink, fast_path=False)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> ParityApps:
    aliases.install()  # the sample script imports azureml.contrib.services, as deployed scripts do
    return ParityApps(SCRIPTS_DIR / "outcomes.py", tmp_path_factory.mktemp("fast_app_root"))


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


KINDS = [
    "none",
    "string",
    "list",
    "unicode",
    "nan",
    "inf",
    "set",
    "numpy",
    "numpy-scalar",
    "deep",
    "circular",
    "response",
    "response-json",
    "response-500",
    "raise",
    "slow",
    "print",
    "anything else",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_outcome_of_run_is_answered_alike(
    apps: ParityApps, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    fast, slow = both(apps, caplog, body=kind.encode())
    assert fast.comparable() == slow.comparable()
    assert any(k == "x-request-id" and v == REQUEST_ID for k, v in fast.headers)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"data": [[1, 2, 3]]}', "application/json"),
        (b'{"data": 1}', "application/json; charset=utf-8"),
        (b"plain text", "text/plain"),
        (b"no content type", None),
        (b"", "application/json"),
        (b"\xff\xfe not utf-8", "application/json"),
        ("caf\u00e9 \u2603".encode(), "text/plain; charset=utf-8"),
        (b"x" * 200_000, "application/octet-stream"),
    ],
    ids=["json", "json-charset", "text", "no-type", "empty", "not-utf8", "utf8", "large"],
)
def test_bodies_reach_run_alike(
    apps: ParityApps, caplog: pytest.LogCaptureFixture, body: bytes, content_type: Optional[str]
) -> None:
    fast, slow = both(apps, caplog, body=body, content_type=content_type)
    assert fast.comparable() == slow.comparable()


def test_path_query_and_repeated_slashes_alike(apps: ParityApps, caplog: pytest.LogCaptureFixture) -> None:
    for extra in (
        {"path": "//score"},
        {"QUERY_STRING": "a=1&b=2"},
        {"HTTP_X_MS_CLIENT_REQUEST_ID": "client-1"},
    ):
        fast, slow = both(apps, caplog, body=b"list", **extra)
        assert fast.comparable() == slow.comparable()
        assert fast.status == "200 OK"


def test_success_headers_are_in_flasks_order(apps: ParityApps, caplog: pytest.LogCaptureFixture) -> None:
    fast, _ = both(apps, caplog, body=b"list")
    assert [k for k, _ in fast.headers] == [
        "Content-Type",
        "Content-Length",
        "x-ms-run-function-failed",
        "x-ms-run-fn-exec-ms",
        "x-request-id",
        "x-ms-request-id",
        "x-ms-server-version",
    ]
    assert fast.body == b"[1, 2, 3]"
    assert fast.logs[-1].startswith("INFO azmlinfsrv POST /score 200 <ms> 9")


@pytest.mark.parametrize(
    "extra",
    [
        {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
        {"CONTENT_TYPE": "multipart/form-data; boundary=x"},
        {"REQUEST_METHOD": "GET"},
        {"REQUEST_METHOD": "OPTIONS"},
    ],
    ids=["urlencoded", "multipart", "get", "options"],
)
def test_declined_requests_go_to_flask(extra: Dict[str, Any]) -> None:
    assert not FastScore.accepts(environ(b"x", **extra))


def test_unterminated_input_goes_to_flask() -> None:
    env = environ(b"x")
    del env["wsgi.input_terminated"]
    assert not FastScore.accepts(env)
    assert FastScore.accepts(environ(b"x"))


def test_form_body_gets_flasks_warning_and_empty_string(
    apps: ParityApps, caplog: pytest.LogCaptureFixture
) -> None:
    fast, slow = both(
        apps, caplog, body=b"a=1", content_type="application/x-www-form-urlencoded", via_fast=False
    )  # via Flask
    assert fast.comparable() == slow.comparable()
    assert b'"received": ""' in fast.body


def test_bad_request_ids_are_rejected_alike(apps: ParityApps, caplog: pytest.LogCaptureFixture) -> None:
    fast, slow = both(apps, caplog, body=b"list", via_fast=False, HTTP_X_REQUEST_ID="x" * 101)
    assert fast.comparable() == slow.comparable()
    assert fast.status.startswith("431")


def test_body_read_failure_is_flasks_generic_500(apps: ParityApps, caplog: pytest.LogCaptureFixture) -> None:
    class Disconnected(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("client went away")

    fast, slow = both(apps, caplog, body=b"", **{"wsgi.input": Disconnected()})
    assert fast.comparable() == slow.comparable()
    assert fast.status.startswith("500")
    assert "Exception on /score [POST]" in fast.logs[0]


# --- telemetry: the fast path serves with it on, and sends the same records --------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Tuple[ParityApps, RecordingTelemetry]:
    aliases.install()
    telemetry = RecordingTelemetry()
    apps = ParityApps(SCRIPTS_DIR / "outcomes.py", tmp_path_factory.mktemp("recorded_app_root"), telemetry)
    return apps, telemetry


@pytest.mark.parametrize("kind", ["list", "nan", "set", "numpy", "response", "response-500", "raise", "slow"])
def test_telemetry_records_alike(
    recorded: Tuple[ParityApps, RecordingTelemetry], caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    apps, telemetry = recorded
    telemetry.take()
    with mock.patch.object(FastScore, "__call__", autospec=True, side_effect=FastScore.__call__) as spy:
        fast = call(apps.fast, environ(kind.encode(), HTTP_X_MS_CLIENT_REQUEST_ID="client-1"), caplog)
        assert spy.call_count == 1
        fast_records = telemetry.take()
        slow = call(apps.flask, environ(kind.encode(), HTTP_X_MS_CLIENT_REQUEST_ID="client-1"), caplog)
        assert spy.call_count == 1
    assert fast.comparable() == slow.comparable()
    assert fast_records == telemetry.take()
    request_records = [fields for name, fields, *_ in fast_records if name == "request"]
    assert len(request_records) == 1
    assert request_records[0]["ids"] == {"request_id": REQUEST_ID, "client_request_id": "client-1"}
    assert request_records[0]["url"] == "http://127.0.0.1:5001/score"


def test_telemetry_records_alike_for_a_failed_body_read(
    recorded: Tuple[ParityApps, RecordingTelemetry], caplog: pytest.LogCaptureFixture
) -> None:
    class Disconnected(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("client went away")

    apps, telemetry = recorded
    telemetry.take()
    fast = call(apps.fast, environ(b"", **{"wsgi.input": Disconnected()}), caplog)
    fast_records = telemetry.take()
    slow = call(apps.flask, environ(b"", **{"wsgi.input": Disconnected()}), caplog)
    assert fast.comparable() == slow.comparable()
    assert fast_records == telemetry.take()
    assert [record[1]["status"] for record in fast_records] == [500]


# --- when the fast path is used --------------------------------------------------------------------------------


def entry_invoker(script: Path, tmp_path: Path) -> Invoker:
    config = build_config(CliArgs(entry_script=str(script), host="127.0.0.1"), {}, str(tmp_path))
    return Invoker(load_entry(config), Scorer(), config.scoring_timeout_ms, config.worker_timeout)


@pytest.mark.parametrize(
    ("script", "expected"),
    [("outcomes.py", True), ("hello.py", True), ("echo.py", False)],
    ids=["outcomes", "hello", "request-headers"],
)
def test_fast_path_only_for_plain_run(tmp_path: Path, script: str, expected: bool) -> None:
    aliases.install()
    invoker = entry_invoker(SCRIPTS_DIR / script, tmp_path)
    assert (fast_score(invoker) is not None) is expected


@pytest.mark.parametrize("mode", ["schema", "raw"])
def test_no_fast_path_for_decorated_run(tmp_path: Path, mode: str) -> None:
    plain = entry_invoker(SCRIPTS_DIR / "hello.py", tmp_path).entry
    invoker = Invoker(dataclasses.replace(plain, mode=mode), Scorer(), 1000, 30)
    assert fast_score(invoker) is None


@pytest.mark.parametrize(
    "source",
    [
        "import flask\n",
        "from flask import request\n",
        "from flask import g as context\n",
        "import flask.globals\n",
        "from flask.globals import current_app\n",
        "from flask import jsonify\n",
        "from flask import Response\n",
        "def helper():\n    import flask\n\n    return flask.g\n\n\n",
        "def helper():\n    from flask import g\n\n    return [g for _ in ()]\n\n\n",
        "class Helper:\n    @staticmethod\n    def read():\n        from flask import request\n\n        return request\n\n\n",
    ],
    ids=[
        "module",
        "request",
        "renamed-proxy",
        "submodule",
        "submodule-proxy",
        "function",
        "class",
        "local-import",
        "nested-code",
        "method",
    ],
)
def test_no_fast_path_when_the_script_can_reach_flask(tmp_path: Path, source: str) -> None:
    script = tmp_path / "score.py"
    script.write_text(source + "def init():\n    pass\n\n\ndef run(data):\n    return data\n")
    invoker = entry_invoker(script, tmp_path)
    assert fast_score(invoker) is None


def test_fast_path_decided_from_objects_not_text(tmp_path: Path) -> None:
    # A comment or a string that mentions flask reaches nothing: the rule inspects objects, not source text.
    script = tmp_path / "score.py"
    script.write_text(
        "# flask.request is not used here\nNOTE = 'no flask'\n\n\n"
        "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
    )
    assert fast_score(entry_invoker(script, tmp_path)) is not None


def test_no_fast_path_for_a_run_that_is_not_a_function(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    script.write_text(
        "class Model:\n    def __call__(self, data):\n        return data\n\n\n"
        "run = Model()\n\n\ndef init():\n    pass\n"
    )
    assert fast_score(entry_invoker(script, tmp_path)) is None


def test_no_fast_path_when_the_driver_module_mentions_flask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fast_inner.py").write_text("from flask import g\n\n\ndef run(data):\n    return data\n")
    outer = tmp_path / "score.py"
    outer.write_text("import fast_inner as driver_module\n\n\ndef init():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fast_inner", raising=False)
    invoker = entry_invoker(outer, tmp_path)
    assert invoker.entry.run.__module__ == "fast_inner"
    assert fast_score(invoker) is None
