"""The `score_*` fixtures: the settings as overridable fixtures, the session server and its clients."""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterator, Optional, Tuple

import pytest

from ..serverproc.process import ABORT_GRACE_S
from .clients import ScoreRequest, ScoreSession
from .server import ScoreServer, ScoreServerError
from .state import StartFailed, state_of


@pytest.fixture(scope="session")
def score_entry(pytestconfig: pytest.Config) -> Optional[str]:
    """The scoring script (absolute path) the session server runs; override to choose it in code."""
    return state_of(pytestconfig).settings.server.entry


@pytest.fixture(scope="session")
def score_model_dir(pytestconfig: pytest.Config) -> Optional[str]:
    """Passed to the server as `--model_dir`."""
    return state_of(pytestconfig).settings.server.model_dir


@pytest.fixture(scope="session")
def score_server_args(pytestconfig: pytest.Config) -> Tuple[str, ...]:
    """Extra `azmlinfsrv` arguments."""
    return state_of(pytestconfig).settings.server.server_args


@pytest.fixture(scope="session")
def score_env(pytestconfig: pytest.Config) -> Dict[str, str]:
    """Environment variables of the server (on top of pytest's own environment)."""
    return dict(state_of(pytestconfig).settings.server.env)


@pytest.fixture(scope="session")
def score_target(pytestconfig: pytest.Config) -> Optional[str]:
    """A running endpoint to test instead of starting a server."""
    return state_of(pytestconfig).settings.server.target


@pytest.fixture(scope="session")
def score_server(request: pytest.FixtureRequest) -> Iterator[ScoreServer]:
    """The session's server (one per xdist worker): `base_url`, `pid`, `logs`, `restart()`."""
    state = state_of(request.config)
    # Through the configuration fixtures, so that a conftest.py can override any of them.
    value = request.getfixturevalue
    settings = dataclasses.replace(
        state.settings.server,
        entry=value("score_entry"),
        model_dir=value("score_model_dir"),
        server_args=tuple(value("score_server_args")),
        env=tuple(dict(value("score_env")).items()),
        target=value("score_target"),
    )
    if settings.entry is None and settings.target is None:
        pytest.fail("score_server: the score_entry fixture gave no script (and there is no score_target)")
    server = ScoreServer(settings)
    state.server = server
    try:
        try:
            server.start()
        except ScoreServerError as err:
            state.start_failure = StartFailed(err.message, pytrace=False)
            raise state.start_failure from None
        yield server
    finally:
        state.server = None
        # After Ctrl-C the user wants their prompt back, not a graceful drain of a request in flight.
        interrupted = request.session.exitstatus == pytest.ExitCode.INTERRUPTED
        server.stop(ABORT_GRACE_S if interrupted else None)


def usable(server: ScoreServer) -> None:
    try:
        server.check_alive()
    except ScoreServerError as err:
        pytest.fail(err.message, pytrace=False)


@pytest.fixture
def score_client(score_server: ScoreServer) -> Iterator[ScoreSession]:
    """A requests session bound to the server: `score_client.post("/score", json=...)`."""
    usable(score_server)
    with ScoreSession(score_server.base_url, score_server.settings.request_timeout) as session:
        yield session


@pytest.fixture(scope="session")
def score_request(score_server: ScoreServer) -> Iterator[ScoreRequest]:
    """Send a RequestSpec with scorecheck's client (curl, per-request log lines). Session-scoped, so it
    can be used in `@given` tests."""
    sender = ScoreRequest(score_server)
    yield sender
    sender.close()
