"""The fast path answers inference-schema, `@rawhttp` and `request_headers` scripts exactly as the Flask path does.

Each request goes through two apps built from the same script, one with the fast path and one without
(support/parity.py): status, header list in order, body, log lines and telemetry records must match, and the spy
shows which path answered. Requests the fast path leaves to Flask are checked to go there and still match.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

import pytest
from azmlinfsrv.compat import aliases
from azmlinfsrv.script.invoke import CONVERSION_FAILED
from support import SCRIPTS_DIR, raw_request, start_server
from support.parity import ParityApps, RecordingTelemetry, both, call, environ, recorded_both

pytestmark = pytest.mark.usefixtures("server_logs_reach_caplog")

SCRIPTS = {
    "standard": "schema.py",
    "numpy": "numpy_schema.py",
    "pandas": "pandas_schema.py",
    "schema-headers": "fast_schema_headers.py",
    "raw": "fast_raw.py",
    "raw-headers": "fast_raw_headers.py",
    "headers": "fast_headers.py",
}
BOUNDARY = "fastpathboundary"
MULTIPART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="field"\r\n\r\n'
    "value\r\n"
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
    "Content-Type: text/plain\r\n\r\n"
    "file contents\r\n"
    f"--{BOUNDARY}--\r\n"
).encode()


@pytest.fixture(scope="module")
def kind_apps(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, ParityApps]:
    aliases.install()  # the samples import azureml.contrib.services, as deployed scripts do
    made: Dict[str, ParityApps] = {}

    def get(kind: str) -> ParityApps:
        if kind not in made:
            made[kind] = ParityApps(SCRIPTS_DIR / SCRIPTS[kind], tmp_path_factory.mktemp(f"fast_{kind}"))
        return made[kind]

    return _Lazy(get)


class _Lazy(Dict[str, ParityApps]):
    """Builds each script's apps on first use (loading a script resets process-wide decorator state)."""

    def __init__(self, get: Any) -> None:
        super().__init__()
        self._get = get

    def __missing__(self, kind: str) -> ParityApps:
        return self._get(kind)  # type: ignore[no-any-return]


def alike(apps: ParityApps, caplog: pytest.LogCaptureFixture, via_fast: bool = True, **kwargs: Any) -> Any:
    fast, slow = both(apps, caplog, via_fast=via_fast, **kwargs)
    assert fast.comparable() == slow.comparable()
    return fast


# --- inference-schema -------------------------------------------------------------------------------------------

SCHEMA_BODIES = [
    ("standard", b'{"data": [{"a": 2, "b": "y"}]}', "application/json", "200"),
    ("standard", b'{"data": [{"a": 2, "b": "y"}], "scale": 3}', "application/json; charset=utf-8", "200"),
    ("standard", b'{"data": [], "extra": 1}', "application/vnd.api+json", "200"),
    ("standard", b'{"scale": 3}', "application/json", "400"),
    ("standard", b"[1, 2]", "application/json", "400"),
    ("standard", b"{not json", "application/json", "400"),
    ("standard", b"", "application/json", "400"),
    ("standard", b'{"data": []}', "text/plain", "415"),
    ("standard", b'{"data": []}', None, "415"),
    ("standard", b"data=1", "application/x-www-form-urlencoded", "415"),
    ("standard", b'{"data": "\xff"}', "application/json", "500"),
    ("standard", b'{"data": ' + b"1" * 5000 + b"}", "application/json", "500"),
    ("standard", b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json", "500"),
    ("numpy", b'{"data": [1, 2, 3]}', "application/json", "200"),
    ("numpy", b'{"data": ["a", "b"]}', "application/json", "500"),
    ("numpy", b'{"data": [[1, 2], [3]]}', "application/json", "500"),
    ("pandas", b'{"data": [{"a": 1, "b": "x"}, {"a": 5, "b": "z"}]}', "application/json", "200"),
    ("pandas", b'{"data": {"a": 1}}', "application/json", "500"),
    ("schema-headers", b'{"data": [[1, 2]]}', "application/json", "200"),
    ("schema-headers", b'{"data": []}', "application/json", "500"),
]


@pytest.mark.parametrize(("kind", "body", "content_type", "status"), SCHEMA_BODIES)
def test_decorated_run_answered_alike(
    kind_apps: Dict[str, ParityApps],
    caplog: pytest.LogCaptureFixture,
    *,
    kind: str,
    body: bytes,
    content_type: Optional[str],
    status: str,
) -> None:
    fast = alike(kind_apps[kind], caplog, body=body, content_type=content_type, HTTP_USER_AGENT="parity/1")
    assert fast.status[:3] == status


def test_conversion_failure_warning_on_the_fast_path(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture
) -> None:
    fast = alike(kind_apps["numpy"], caplog, body=b'{"data": ["a", "b"]}')
    assert any(CONVERSION_FAILED in line for line in fast.logs)
    entered = alike(kind_apps["schema-headers"], caplog, body=b'{"data": []}')
    assert not any(CONVERSION_FAILED in line for line in entered.logs)


def test_output_schema_result_alike(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture
) -> None:
    fast = alike(kind_apps["numpy"], caplog, body=b'{"data": [1, 2, 3]}')
    assert fast.body == b"6"
    assert [k for k, _ in fast.headers][:4] == [
        "Content-Type",
        "Content-Length",
        "x-ms-run-function-failed",
        "x-ms-run-fn-exec-ms",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        {"REQUEST_METHOD": "GET", "QUERY_STRING": "data=%5B%7B%22a%22%3A1%7D%5D"},
        {"REQUEST_METHOD": "OPTIONS"},
        {"REQUEST_METHOD": "HEAD"},
    ],
    ids=["get", "options", "head"],
)
def test_decorated_run_other_methods_go_to_flask(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture, extra: Dict[str, Any]
) -> None:
    apps = kind_apps["standard"]
    assert not apps.path.accepts(environ(b"", **extra))
    alike(apps, caplog, via_fast=False, body=b"", **extra)


# --- @rawhttp -----------------------------------------------------------------------------------------------------

RAW_KINDS = [
    "bytes",
    "str",
    "dict",
    "none",
    "set",
    "png",
    "error",
    "header",
    "flagged",
    "status",
    "empty",
    "jsonstr",
    "location",
    "no-content",
    "cookie",
    "stream",
    "raise",
    "strict-json",
    "print",
    "introspect",
]


@pytest.mark.parametrize("kind", RAW_KINDS)
def test_every_outcome_of_a_raw_run_is_answered_alike(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    alike(
        kind_apps["raw"], caplog, body=b"not json {", content_type="text/plain", QUERY_STRING=f"kind={kind}"
    )


RAW_REQUESTS = [
    (b'{"x": [1, 2]}', "application/json", "POST", "a=1&a=2&b=%22q%22"),
    (b"a=1&b=two", "application/x-www-form-urlencoded", "POST", ""),
    (MULTIPART, f"multipart/form-data; boundary={BOUNDARY}", "POST", ""),
    (b"\xff\xfe not utf-8", "application/octet-stream", "POST", ""),
    (b"", None, "GET", "x=1"),
    (b"x" * 200_000, "application/octet-stream", "POST", ""),
]


@pytest.mark.parametrize(
    ("body", "content_type", "method", "query"),
    RAW_REQUESTS,
    ids=["json", "urlencoded", "multipart", "not-utf8", "get", "large"],
)
def test_raw_run_reads_the_same_request(
    kind_apps: Dict[str, ParityApps],
    caplog: pytest.LogCaptureFixture,
    *,
    body: bytes,
    content_type: Optional[str],
    method: str,
    query: str,
) -> None:
    query = "&".join(part for part in ("kind=introspect", query) if part)
    fast = alike(
        kind_apps["raw"],
        caplog,
        body=body,
        content_type=content_type,
        REQUEST_METHOD=method,
        QUERY_STRING=query,
        HTTP_X_CUSTOM="a, b",
    )
    report = json.loads(fast.body)
    # What the Flask path gives run(): flask.request, a context proxy to a plain flask.Request.
    assert (report["type"], report["is_aml_request"], report["endpoint"]) == ("LocalProxy", False, "score")
    assert report["method"] == method


def test_raw_form_data_alike(kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture) -> None:
    fast = alike(
        kind_apps["raw"],
        caplog,
        body=MULTIPART,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        QUERY_STRING="kind=introspect",
    )
    report = json.loads(fast.body)
    assert report["form"] == {"field": ["value"]}
    assert report["files"] == {"upload": ["a.txt", "text/plain", "file contents"]}


def test_a_kept_request_reads_the_current_request_alike(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture
) -> None:
    """On the Flask path run() receives `flask.request`: kept, it reads whichever request is current later, and
    fails with Flask's error outside a request."""
    apps = kind_apps["raw"]
    kept: Dict[str, Any] = {}
    for name, app in (("fast", apps.fast), ("flask", apps.flask)):
        call(app, environ(b"", QUERY_STRING="kind=keep"), caplog)
        kept[name] = apps.invoker.entry.module.KEPT[0]
        later = call(app, environ(b"", REQUEST_METHOD="GET", QUERY_STRING="kind=kept"), caplog)
        assert json.loads(later.body) == {"method": "GET"}
    for proxy in kept.values():
        with pytest.raises(RuntimeError, match=r"^Working outside of request context"):
            _ = proxy.method
    assert type(kept["fast"]) is type(kept["flask"])


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD"])
def test_raw_options_and_head_go_to_flask(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture, method: str
) -> None:
    apps = kind_apps["raw"]
    assert not apps.path.accepts(environ(b"", REQUEST_METHOD=method))
    alike(apps, caplog, via_fast=False, body=b"", REQUEST_METHOD=method, QUERY_STRING="kind=str")


def test_raw_run_with_request_headers_alike(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture
) -> None:
    fast = alike(kind_apps["raw-headers"], caplog, body=b"payload", content_type="text/plain", HTTP_X_A="1")
    assert json.loads(fast.body)["headers"]["X-A"] == "1"


# --- request_headers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "extra"),
    [
        (b'{"data": 1}', "application/json", {"HTTP_X_A": "1", "HTTP_USER_AGENT": "u"}),
        (b"text", None, {}),
        (b"text", "", {"CONTENT_LENGTH": ""}),
        (b"\xff", "text/plain", {}),
    ],
    ids=["headers", "no-content-type", "empty-content-type", "not-utf8"],
)
def test_request_headers_alike(
    kind_apps: Dict[str, ParityApps],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: Optional[str],
    extra: Dict[str, str],
) -> None:
    alike(kind_apps["headers"], caplog, body=body, content_type=content_type, **extra)


def test_request_headers_form_goes_to_flask(
    kind_apps: Dict[str, ParityApps], caplog: pytest.LogCaptureFixture
) -> None:
    alike(
        kind_apps["headers"],
        caplog,
        via_fast=False,
        body=b"a=1",
        content_type="application/x-www-form-urlencoded",
    )


# --- telemetry ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded_kinds(
    tmp_path_factory: pytest.TempPathFactory,
) -> Tuple[Dict[str, ParityApps], RecordingTelemetry]:
    aliases.install()
    telemetry = RecordingTelemetry()
    made: Dict[str, ParityApps] = {}

    def get(kind: str) -> ParityApps:
        if kind not in made:
            root = tmp_path_factory.mktemp(f"recorded_{kind}")
            made[kind] = ParityApps(SCRIPTS_DIR / SCRIPTS[kind], root, telemetry=telemetry)
        return made[kind]

    return _Lazy(get), telemetry


@pytest.mark.parametrize(
    ("kind", "body", "query"),
    [
        ("standard", b'{"data": [{"a": 2, "b": "y"}]}', ""),
        ("standard", b"{not json", ""),
        ("numpy", b'{"data": ["a"]}', ""),
        ("schema-headers", b'{"data": []}', ""),
        ("raw", b"body", "kind=dict"),
        ("raw", b"body", "kind=png"),
        ("raw", b"body", "kind=raise"),
        ("raw", b"body", "kind=error"),
        ("headers", b"text", ""),
    ],
)
def test_telemetry_records_alike_for_every_kind(
    recorded_kinds: Tuple[Dict[str, ParityApps], RecordingTelemetry],
    caplog: pytest.LogCaptureFixture,
    kind: str,
    body: bytes,
    query: str,
) -> None:
    apps, telemetry = recorded_kinds
    fast, fast_records, slow, slow_records = recorded_both(
        apps[kind], telemetry, caplog, body=body, QUERY_STRING=query, HTTP_X_MS_CLIENT_REQUEST_ID="client-1"
    )
    assert fast.comparable() == slow.comparable()
    assert fast_records == slow_records
    assert [record[0] for record in fast_records].count("request") == 1


# --- over HTTP: a @rawhttp script on both runners (the request object reaches the scoring thread on waitress) -----


@pytest.mark.parametrize("runner", ["gunicorn", "waitress"])
def test_raw_fast_path_over_http(runner: str) -> None:
    with start_server(SCRIPTS_DIR / "fast_raw.py", args=["--server", runner]) as server:
        upload = raw_request(
            server.port,
            "POST",
            "/score?kind=introspect",
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            body=MULTIPART,
        )
        got = raw_request(server.port, "GET", "/score?kind=dict&x=1")
    assert upload.status == 200, upload.body
    report = json.loads(upload.body)
    assert report["files"] == {"upload": ["a.txt", "text/plain", "file contents"]}
    assert (report["type"], report["endpoint"], report["method"]) == ("LocalProxy", "score", "POST")
    assert got.status == 200
    assert json.loads(got.body) == {"method": "GET", "body": ""}
    assert got.get_all("x-ms-run-function-failed") == ["False"]
