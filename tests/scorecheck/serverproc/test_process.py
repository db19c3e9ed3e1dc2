"""ServerProcess against the real azmlinfsrv (and two stand-in commands for the edge cases)."""

from __future__ import annotations

import sys
import time

import pytest

from scorecheck.serverproc.logs import (
    access_line_pattern,
    exception_line,
    has_any_access_line,
    last_traceback,
    user_frame,
)
from scorecheck.serverproc.process import ServerProcess, ServerStartError, _LogBuffer, free_port, group_alive
from tests.scorecheck.sc_support import ECHO, INIT_FAILS

# A stand-in "server" that never listens; the azmlinfsrv flags land in its sys.argv, unused.
NEVER_READY = (sys.executable, "-c", "import time; time.sleep(60)")
# One that starts a grandchild ignoring SIGTERM, which only a group SIGKILL can end.
STUBBORN = (
    sys.executable,
    "-c",
    "import signal, subprocess, sys, time\n"
    "code = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'\n"
    "subprocess.Popen([sys.executable, '-c', code])\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "time.sleep(60)",
)


def _deadline(seconds: float = 30.0) -> float:
    return time.monotonic() + seconds


def test_starts_answers_and_stops_the_whole_group() -> None:
    server = ServerProcess(str(ECHO))
    with server:
        version = server.wait_ready(_deadline())
        pgid = server.pid
        assert pgid is not None
        assert version.startswith("azmlinfsrv/")
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.alive
        assert group_alive(pgid)
        assert "sc_echo ready" in server.logs
    assert not server.alive
    assert not group_alive(pgid)
    server.stop()  # a second stop is harmless


def _serve_then_fail(server: ServerProcess, groups: list[int]) -> None:
    with server:
        server.wait_ready(_deadline())
        assert server.pid is not None
        groups.append(server.pid)
        raise RuntimeError("boom")


def test_leaving_on_an_exception_still_kills_the_group() -> None:
    groups: list[int] = []
    with pytest.raises(RuntimeError, match="boom"):
        _serve_then_fail(ServerProcess(str(ECHO)), groups)
    assert not group_alive(groups[0])


def test_init_failure_raises_with_exit_code_and_log() -> None:
    with ServerProcess(str(INIT_FAILS)) as server, pytest.raises(ServerStartError) as info:
        server.wait_ready(_deadline())
    assert info.value.exit_code == 3
    assert "sc_init_fails.py" in info.value.log
    assert "model file missing" in info.value.log


def test_deadline_is_honoured() -> None:
    with ServerProcess("unused.py", command=NEVER_READY) as server:
        started = time.monotonic()
        with pytest.raises(ServerStartError, match="start-up timeout") as info:
            server.wait_ready(time.monotonic() + 0.5)
        assert time.monotonic() - started < 30  # the command itself would wait 60 s
        assert info.value.exit_code is None


def test_sigterm_ignoring_grandchildren_are_killed() -> None:
    server = ServerProcess("unused.py", command=STUBBORN, stop_grace_s=0.3)
    server.start()
    pgid = server.pid
    assert pgid is not None
    try:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 30  # the children ignore SIGTERM and would sleep 60 s
        assert not group_alive(pgid)
    finally:
        server.stop()


def test_argv_carries_the_azmlinfsrv_flags() -> None:
    port = free_port()
    server = ServerProcess(
        "s.py", model_dir="m", extra_args=("--worker_count=2",), port=port, command=("srv",)
    )
    assert server.argv == (
        "srv",
        "--entry_script",
        "s.py",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--model_dir",
        "m",
        "--worker_count=2",
    )


def test_log_windows_follow_request_marks() -> None:
    buffer = _LogBuffer()
    buffer.append("boot")
    buffer.mark("sc-1")
    buffer.append("first a")
    buffer.append("first b")
    buffer.mark("sc-2")
    buffer.append("second")
    buffer.append("late line naming sc-1")
    assert buffer.lines_for("sc-1") == ("first a", "first b", "late line naming sc-1")
    assert buffer.lines_for("sc-2") == ("second", "late line naming sc-1")
    assert buffer.lines_for("sc-unknown") == ()


TRACEBACK_LOG = """\
2026-11-21 04:48:29,449 I [7776] azmlinfsrv.user_script - Invoking user's init function
2026-11-21 04:48:29,450 E [7776] azmlinfsrv.user_script - Encountered Exception Traceback (most recent call last):
  File "/srv/server/entry.py", line 214, in call_init
    entry.init()
  File "/home/me/app/score.py", line 9, in init
    load_model("x")
  File "/home/me/app/score.py", line 5, in load_model
    raise FileNotFoundError("missing")
FileNotFoundError: missing
2026-11-21 04:48:29,451 I [7776] azmlinfsrv - shutting down"""


def test_traceback_helpers_find_the_users_frame() -> None:
    tb = last_traceback(TRACEBACK_LOG.splitlines())
    assert tb[0].endswith("Encountered Exception Traceback (most recent call last):")
    assert tb[-1] == "FileNotFoundError: missing"
    assert exception_line(tb) == "FileNotFoundError: missing"
    assert user_frame(tb, "/home/me/app") == "/home/me/app/score.py:5"
    assert user_frame(tb, "/elsewhere") is None
    assert last_traceback(["no traceback here"]) == []


def test_access_line_pattern_matches_the_server_format() -> None:
    pattern = access_line_pattern("post", "/score?x=1", 200)
    assert pattern.search("2026-11-21 04:48:29,449 I [7776] azmlinfsrv - POST /score 200 0.516ms 28")
    assert pattern.search("azmlinfsrv - POST /score?x=1&y=2 200 12.000ms N/A")
    assert not pattern.search("azmlinfsrv - POST /score 500 0.516ms 28")
    assert not pattern.search("azmlinfsrv - GET /score 200 0.516ms 28")


HTTP_LINE = 'I [7] gunicorn.access - 127.0.0.1 - - [05/Dec/2026:20:24:38 +0000] "POST /infer HTTP/1.1" 500 163 "-" "x"'


def test_the_http_layers_access_line_is_told_apart_from_the_servers_own() -> None:
    http = access_line_pattern("post", "/infer?x=1", 500, http_layer=True)
    assert http.search(HTTP_LINE)
    assert http.search(HTTP_LINE.replace("/infer", "/infer?a=b"))
    assert not http.search(HTTP_LINE.replace("500", "502", 1))
    assert not http.search(HTTP_LINE.replace("POST", "GET"))
    assert not http.search(HTTP_LINE.replace("/infer", "/inference"))
    assert not access_line_pattern("post", "/infer", 500).search(HTTP_LINE)
    assert has_any_access_line([HTTP_LINE], "POST", "/infer", 500)
    assert has_any_access_line(["azmlinfsrv - POST /score 500 0.5ms 92"], "POST", "/score", 500)
    assert not has_any_access_line(["Traceback (most recent call last):"], "POST", "/infer", 500)
