"""Client against a real azmlinfsrv serving tests/scripts/sc_echo.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import Iterator

import pytest

from scorecheck.model import FilePart, RequestSpec
from scorecheck.serverproc import client as client_module
from scorecheck.serverproc.client import (
    Client,
    RequestError,
    build_url,
    curl_command,
    is_secret_header,
    redact_url,
)
from scorecheck.serverproc.process import ServerProcess, free_port
from scorecheck.serverproc.transport import Answer
from tests.scorecheck.sc_support import ECHO

JSON = (("Content-Type", "application/json"),)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess(str(ECHO)) as process:
        process.wait_ready(time.monotonic() + 30)
        yield process


def _spec(payload: object, headers: tuple[tuple[str, str], ...] = JSON) -> RequestSpec:
    return RequestSpec(body=json.dumps(payload).encode(), headers=headers, body_source="json")


def test_observation_carries_status_body_id_and_only_its_own_log_lines(server: ServerProcess) -> None:
    with Client(server.base_url, logs=server) as client:
        first = client.send(_spec({"tag": "first-request"}))
        second = client.send(_spec({"tag": "second-request"}))
    assert first.status == 200
    assert json.loads(first.body) == {"echo": {"tag": "first-request"}}
    assert first.request_id.startswith("sc-")
    assert ("x-request-id", first.request_id) in [(k.lower(), v) for k, v in first.headers]
    assert first.elapsed_ms > 0
    first_log = "\n".join(first.log_lines)
    assert "sc_echo handling first-request" in first_log
    assert "POST /score 200" in first_log
    assert "second-request" not in first_log
    assert "sc_echo handling second-request" in "\n".join(second.log_lines)


def test_error_responses_bring_the_server_traceback(server: ServerProcess) -> None:
    with Client(server.base_url, logs=server) as client:
        obs = client.send(_spec({"raise": True}))
    assert obs.status == 500
    log = "\n".join(obs.log_lines)
    assert "Encountered Exception" in log
    assert "sc_echo was asked to fail" in log


def test_secrets_are_sent_but_never_rendered(server: ServerProcess) -> None:
    secret_headers = (*JSON, ("Authorization", "Bearer fixture-secret"))
    with Client(server.base_url, logs=server, headers=(("X-Api-Key", "cli-secret"),)) as client:
        obs = client.send(_spec({"tag": "secret"}, secret_headers))
    assert obs.status == 200
    assert "fixture-secret" not in obs.curl
    assert "cli-secret" not in obs.curl
    assert "'Authorization: ***'" in obs.curl
    assert "'X-Api-Key: ***'" in obs.curl


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"tag": "it\'s curl"}', id="text"),
        pytest.param(b"\xff\x00\x01binary", id="binary"),
    ],
)
def test_curl_line_reproduces_the_request(server: ServerProcess, body: bytes) -> None:
    spec = RequestSpec(body=body, headers=JSON, query=(("q", "a b"),))
    with Client(server.base_url, logs=server) as client:
        obs = client.send(spec)
    result = subprocess.run(["bash", "-c", obs.curl], capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    status_line = result.stdout.split(b"\r\n", 1)[0]
    assert f" {obs.status}".encode() in status_line
    assert result.stdout.endswith(obs.body)


def test_no_listener_is_a_connection_error() -> None:
    with (
        Client(f"http://127.0.0.1:{free_port()}", timeout_s=2) as client,
        pytest.raises(RequestError) as info,
    ):
        client.send(_spec({"tag": "nobody"}))
    assert info.value.kind == "ConnectionError"
    assert info.value.request_id.startswith("sc-")
    assert info.value.curl.startswith("curl ")


def test_every_request_is_announced_with_its_status(server: ServerProcess) -> None:
    statuses: list[int | None] = []
    with Client(server.base_url, on_sent=statuses.append) as client:
        client.send(_spec({"tag": "ok"}))
        client.send(_spec({"raise": True}))
    nobody = f"http://127.0.0.1:{free_port()}"
    with Client(nobody, timeout_s=2, on_sent=statuses.append) as client, pytest.raises(RequestError):
        client.send(_spec({"tag": "nobody"}))
    assert statuses == [200, 500, None]


def test_slow_answer_is_a_timeout(server: ServerProcess) -> None:
    with Client(server.base_url, logs=server, timeout_s=0.2) as client, pytest.raises(RequestError) as info:
        client.send(_spec({"sleep": 0.6}))
    assert info.value.kind == "Timeout"
    assert "0.2 s" in info.value.message


def test_curl_for_forms_and_files() -> None:
    spec = RequestSpec(
        form=(("field", "value"),),
        files=(FilePart("file", "cat.png", b"\x89PNG", "image/png"),),
        body_source="form",
    )
    line = curl_command("http://h:1", spec)
    assert "-F field=value" in line
    assert "-F 'file=@cat.png;type=image/png'" in line


def test_urls_and_secret_names() -> None:
    spec = RequestSpec(method="GET", path="/score?x=1", query=(("a", "1"), ("b", "x y")))
    assert build_url("http://h:1/", spec) == "http://h:1/score?x=1&a=1&b=x+y"
    assert redact_url("https://user:pw@h/api?code=abc&v=1") == "https://***@h/api?code=***&v=1"
    assert redact_url("http://127.0.0.1:5001") == "http://127.0.0.1:5001"
    for name in ("Authorization", "cookie", "X-Functions-Key", "X-Auth-Token", "Ocp-Apim-Subscription-Key"):
        assert is_secret_header(name), name
    for name in ("Content-Type", "Accept", "x-request-id"):
        assert not is_secret_header(name), name


# --- how long a request's log lines are waited for (a fake log source counts the polls) ---------------------

OWN_LINE = "I [7] azmlinfsrv - POST /score 500 0.613ms 92"
HTTP_LINE = (
    'I [7] gunicorn.access - 127.0.0.1 - - [05/Dec/2026:20:24:38 +0000] "POST {path} HTTP/1.1" 500 92 "-" "x"'
)


# The lull is 20 ms of 5 ms polls: far fewer polls than a 1 s grace would take.
LULL_POLLS_AT_MOST = 100


@pytest.fixture
def long_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every path waits up to 1 s for its lines, so that only a line seen can end the wait within the bound."""
    monkeypatch.setattr(client_module, "UNLOGGED_GRACE_S", 1.0)


class _Logs:
    """Every request's lines are `lines`; `polls` counts the reads."""

    def __init__(self, *lines: str) -> None:
        self.lines = lines
        self.polls = 0

    def begin_request(self, request_id: str) -> None:
        pass

    def lines_for(self, request_id: str) -> tuple[str, ...]:
        self.polls += 1
        return self.lines


class _Fails:
    def exchange(self, arguments: dict[str, object], timeout: float) -> Answer:
        return Answer(500, (), b"{}")

    def close(self) -> None:
        pass


def _gathered(logs: _Logs, path: str) -> tuple[str, ...]:
    spec = RequestSpec(path=path, body=b"{}", headers=JSON, body_source="json")
    with Client("http://127.0.0.1:9", logs=logs, transport=_Fails()) as client:
        return client.send(spec).log_lines


@pytest.mark.usefixtures("long_grace")
@pytest.mark.parametrize("path", ["/score", "/infer", "/health"])
def test_the_http_layers_access_line_ends_the_wait_after_a_lull(path: str) -> None:
    # On every route, also where the server writes no line of its own (`/infer`, `/health`).
    logs = _Logs("Traceback (most recent call last):", HTTP_LINE.format(path=path))
    assert _gathered(logs, path) == logs.lines
    assert 1 < logs.polls < LULL_POLLS_AT_MOST


def test_the_servers_own_line_ends_the_wait_after_a_lull() -> None:
    # A server whose HTTP layer logs nothing.
    logs = _Logs("Traceback (most recent call last):", OWN_LINE)
    assert _gathered(logs, "/score") == logs.lines
    assert 1 < logs.polls < LULL_POLLS_AT_MOST


def test_without_an_access_line_only_the_grace_ends_the_wait() -> None:
    logs = _Logs("Traceback (most recent call last):")
    with Client("http://127.0.0.1:9", logs=logs, transport=_Fails(), log_wait_s=0.3) as client:
        spec = RequestSpec(path="/score", body=b"{}", headers=JSON, body_source="json")
        started = time.monotonic()
        assert client.send(spec).log_lines == logs.lines
    assert time.monotonic() - started >= 0.3  # the whole grace: no line said the request was over


def test_a_client_without_logs_shares_everything_else() -> None:
    statuses: list[int | None] = []
    with Client(
        "http://h:1", timeout_s=3, headers=(("X-Key", "k"),), logs=_Logs(), on_sent=statuses.append
    ) as c:
        bare = c.without_logs()
    assert bare.logs is None
    assert (bare.base_url, bare.timeout_s, bare.headers) == (c.base_url, c.timeout_s, c.headers)
    assert (bare.redactor, bare.timings, bare.on_sent) == (c.redactor, c.timings, c.on_sent)
    bare.close()
