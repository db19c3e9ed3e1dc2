"""A pytest session killed outright (SIGKILL: no teardown at all) leaves no server, at any moment, with
or without xdist: the servers end themselves (scorecheck/serverproc/lifeline.py)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.plugin.test_plugin import ENTRY, QUIET
from tests.scorecheck.sc_support import end_all, poll, processes_with

pytestmark = pytest.mark.slow

SESSION = """
import pytest


@pytest.mark.parametrize("n", range(20))
def test_scores(score_client, n):
    assert score_client.post("/score", json={"n": n, "sleep": 0.2}).status_code == 200
"""
_MOMENTS = random.Random(29)
KILLS = [
    *(pytest.param(_MOMENTS.uniform(0.2, 5.0), (), id=f"kill-{i}") for i in range(4)),
    *(pytest.param(_MOMENTS.uniform(1.0, 6.0), ("-n", "2"), id=f"xdist-kill-{i}") for i in range(2)),
]


@pytest.mark.parametrize(("moment", "extra"), KILLS)
def test_a_killed_session_leaves_no_server(pytester: pytest.Pytester, moment: float, extra: tuple) -> None:
    pytester.makepyfile(test_session=SESSION)
    token = f"sc-lifeline-{uuid.uuid4()}"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *QUIET,
        *extra,
        ENTRY,
        f"--score-env=SC_LIFELINE_TOKEN={token}",
    ]
    session = pytester.popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if extra:  # kill once every xdist worker has its server, at a random moment of their tests
            poll(
                lambda: len(processes_with(token)) >= 4, 60.0, "a server (master and worker) per xdist worker"
            )
        time.sleep(moment)  # the random moment itself
        assert session.poll() is None, f"the session ended before {moment:.2f} s"
        os.kill(session.pid, signal.SIGKILL)
        session.wait()
        # xdist workers are the session's children: tear them down as a controller's death does.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session.pid, signal.SIGKILL)
        poll(lambda: not processes_with(token), 15.0, f"every server to end after a kill at {moment:.2f} s")
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
        end_all(token)
