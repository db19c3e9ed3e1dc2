"""The fast path (azmlinfsrv.web.fast_score) answers an undecorated run() exactly as the Flask path does, and is
taken only for scripts whose run() cannot reach Flask. test_fast_score_kinds.py covers the other input modes.

Each request goes through two apps built from the same script, one with the fast path and one without
(support/parity.py), and the status, headers, body, log lines and telemetry records must match. The HTTP-level
conformance checks run against the fast path too (their sample scripts take it when they do not import flask),
so both paths are covered end to end.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import pytest
from azmlinfsrv.compat import aliases
from azmlinfsrv.config import CliArgs, build_config
from azmlinfsrv.script.invoke import INTERNAL_ERROR, Invoker
from azmlinfsrv.script.scoring import Scorer
from azmlinfsrv.web.fast_score import FastScore, serves
from support import SCRIPTS_DIR
from support.parity import REQUEST_ID, ParityApps, RecordingTelemetry, both, call, environ, load_fresh

pytestmark = pytest.mark.usefixtures("server_logs_reach_caplog")


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> ParityApps:
    aliases.install()  # the sample script imports azureml.contrib.services, as deployed scripts do
    return ParityApps(SCRIPTS_DIR / "outcomes.py", tmp_path_factory.mktemp("fast_app_root"))


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
def test_declined_requests_go_to_flask(apps: ParityApps, extra: Dict[str, Any]) -> None:
    assert not apps.path.accepts(environ(b"x", **extra))


def test_unterminated_input_goes_to_flask(apps: ParityApps) -> None:
    env = environ(b"x")
    del env["wsgi.input_terminated"]
    assert not apps.path.accepts(env)
    assert apps.path.accepts(environ(b"x"))


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


def test_body_read_failure_is_productions_internal_error(
    apps: ParityApps, caplog: pytest.LogCaptureFixture
) -> None:
    class Disconnected(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("client went away")

    fast, slow = both(apps, caplog, body=b"", **{"wsgi.input": Disconnected()})
    assert fast.comparable() == slow.comparable()
    assert fast.status.startswith("500")
    assert json.loads(fast.body) == {"message": INTERNAL_ERROR}
    assert fast.logs[0] == "ERROR azmlinfsrv Encountered Exception: Traceback (most recent call last):"


def test_too_deep_result_is_productions_internal_error(
    apps: ParityApps, caplog: pytest.LogCaptureFixture
) -> None:
    """Production answers a result too deep for json.dumps with its internal error, not Flask's generic one."""
    fast, slow = both(apps, caplog, body=b"deep")
    assert fast.comparable() == slow.comparable()
    assert fast.status.startswith("500")
    assert json.loads(fast.body) == {"message": INTERNAL_ERROR}
    assert ("x-ms-run-function-failed", "False") in fast.headers
    assert not any(k == "x-ms-run-fn-exec-ms" for k, _ in fast.headers)


@pytest.fixture(scope="module")
def cors_apps(tmp_path_factory: pytest.TempPathFactory) -> ParityApps:
    aliases.install()
    root = tmp_path_factory.mktemp("fast_cors_root")
    return ParityApps(SCRIPTS_DIR / "outcomes.py", root, {"AML_CORS_ORIGINS": "http://a.com"})


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("list", ["http://a.com"]), ("cors-header", ["https://script.example"])],
)
def test_cors_headers_alike_and_a_scripts_own_origin_kept(
    cors_apps: ParityApps, caplog: pytest.LogCaptureFixture, kind: str, expected: List[str]
) -> None:
    fast, slow = both(cors_apps, caplog, body=kind.encode(), HTTP_ORIGIN="http://a.com")
    assert fast.comparable() == slow.comparable()
    assert [v for k, v in fast.headers if k.lower() == "access-control-allow-origin"] == expected
    vary = [v for k, v in fast.headers if k.lower() == "vary"]
    assert vary == ([] if kind == "cors-header" else ["Origin"])


@pytest.mark.parametrize(
    "header", ["HTTP_X_REQUEST_ID", "HTTP_X_MS_REQUEST_ID", "HTTP_X_MS_CLIENT_REQUEST_ID"]
)
def test_over_long_ids_refused_on_routes_only(
    apps: ParityApps, caplog: pytest.LogCaptureFixture, header: str
) -> None:
    on_score = both(apps, caplog, body=b"list", via_fast=False, **{header: "r" * 101})
    elsewhere = both(apps, caplog, body=b"list", via_fast=False, path="/nope", **{header: "r" * 101})
    assert [a.status[:3] for a in (*on_score, *elsewhere)] == ["431", "431", "404", "404"]
    assert on_score[0].comparable() == on_score[1].comparable()
    assert elsewhere[0].comparable() == elsewhere[1].comparable()
    warned = [line for line in on_score[0].logs if "x-ms-request-id header has been deprecated" in line]
    assert len(warned) == (1 if header == "HTTP_X_MS_REQUEST_ID" else 0)


# --- telemetry: the fast path serves with it on, and sends the same records --------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Tuple[ParityApps, RecordingTelemetry]:
    aliases.install()
    telemetry = RecordingTelemetry()
    apps = ParityApps(
        SCRIPTS_DIR / "outcomes.py", tmp_path_factory.mktemp("recorded_app_root"), telemetry=telemetry
    )
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
    return Invoker(load_fresh(config), Scorer(), config.scoring_timeout_ms, config.worker_timeout)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("outcomes.py", True),
        ("hello.py", True),
        ("echo.py", True),
        ("schema.py", True),
        ("fast_raw.py", True),
        ("raw.py", False),
        ("raw_introspect.py", False),
    ],
    ids=["outcomes", "hello", "request-headers", "schema", "raw", "raw-imports-flask", "raw-introspect"],
)
def test_fast_path_only_for_a_run_that_cannot_reach_flask(
    tmp_path: Path, script: str, expected: bool
) -> None:
    aliases.install()
    invoker = entry_invoker(SCRIPTS_DIR / script, tmp_path)
    assert serves(invoker.entry) is expected


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
    assert not serves(invoker.entry)


def test_fast_path_decided_from_objects_not_text(tmp_path: Path) -> None:
    # A comment or a string that mentions flask reaches nothing: the rule inspects objects, not source text.
    script = tmp_path / "score.py"
    script.write_text(
        "# flask.request is not used here\nNOTE = 'no flask'\n\n\n"
        "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
    )
    assert serves(entry_invoker(script, tmp_path).entry)


def test_no_fast_path_for_a_run_that_is_not_a_function(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    script.write_text(
        "class Model:\n    def __call__(self, data):\n        return data\n\n\n"
        "run = Model()\n\n\ndef init():\n    pass\n"
    )
    assert not serves(entry_invoker(script, tmp_path).entry)


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
    assert not serves(invoker.entry)
