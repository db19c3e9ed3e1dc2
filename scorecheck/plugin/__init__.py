"""pytest plugin entry point (`pytest --score-entry score.py`); inert until its option is given.

pytest loads this module in every session of every project that has scorecheck installed, so it only adds
its options. Everything else lives in the other modules of this package (settings, state, fixtures, items,
reporting, the session server and its clients), which `active.activate` imports and registers only when
`--score-entry` or `--score-target` (or their ini options) is set: without them no fixture exists, no file
is collected and neither requests, hypothesis nor PyYAML is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # pragma: no cover - typing only; importing these at run time would defeat inertness
    from hypothesis.strategies import SearchStrategy

    from ..model import RequestSpec

GROUP = "scorecheck"
ACTIVE_PLUGIN = "scorecheck-active"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "scorecheck: test an AzureML scoring script")
    group.addoption(
        "--score-entry",
        metavar="SCORE_PY",
        help="start this scoring script in azmlinfsrv once per session (per xdist worker) and enable "
        "the score_* fixtures (ini: score_entry)",
    )
    group.addoption(
        "--score-fixtures",
        action="append",
        metavar="DIR",
        help="fixture folder (or file) whose cases become test items; repeatable (ini: score_fixtures)",
    )
    group.addoption(
        "--score-model-dir", metavar="DIR", help="passed to the server as --model_dir (ini: score_model_dir)"
    )
    group.addoption(
        "--score-server-arg",
        action="append",
        metavar="ARG",
        help="extra azmlinfsrv argument, e.g. --score-server-arg=--worker_count=2; repeatable "
        "(ini: score_server_args)",
    )
    group.addoption(
        "--score-env",
        action="append",
        metavar="KEY=VALUE",
        help="environment variable of the server; repeatable (ini: score_env, one per line)",
    )
    group.addoption(
        "--score-target",
        metavar="URL",
        help="test a running endpoint instead of starting a server (ini: score_target)",
    )
    group.addoption(
        "--score-startup-timeout",
        metavar="S",
        help="seconds to wait for the server to answer (default 60; ini: score_startup_timeout)",
    )
    _add_ini(parser)


def _add_ini(parser: pytest.Parser) -> None:
    parser.addini("score_entry", "scoring script (relative to the ini file)", default="")
    parser.addini("score_fixtures", "fixture folders or files (relative to the ini file)", type="paths")
    parser.addini("score_model_dir", "model folder passed as --model_dir", default="")
    parser.addini("score_server_args", "extra azmlinfsrv arguments (shell-quoted)", type="args")
    parser.addini("score_env", "server environment, one KEY=VALUE per line", type="linelist")
    parser.addini("score_target", "URL of a running endpoint to test instead of a local server", default="")
    parser.addini("score_startup_timeout", "seconds to wait for the server to answer", default="")


def requested(config: pytest.Config) -> bool:
    """Whether this session asked for scorecheck at all."""
    return any(config.getoption(name) or config.getini(name) for name in ("score_entry", "score_target"))


def pytest_configure(config: pytest.Config) -> None:
    if not requested(config):
        if config.getoption("score_fixtures"):
            raise pytest.UsageError("--score-fixtures needs --score-entry SCORE_PY (or --score-target URL)")
        return
    if config.pluginmanager.has_plugin(ACTIVE_PLUGIN):
        return
    from . import fixtures, items, reporting, state
    from .active import activate

    activate(config, ACTIVE_PLUGIN, (state, fixtures, items, reporting))


def score_payloads() -> SearchStrategy[RequestSpec]:
    """Valid requests for `@given`: drawn from the session server's input schema and the fixture cases.

    The server's `/swagger.json?version=3` is fetched on the first draw, so the test must use the
    `score_request` (or `score_server`) fixture, which starts the server before hypothesis draws.
    """
    from .payloads import payload_strategy

    return payload_strategy(malformed=False)


def score_malformed_payloads() -> SearchStrategy[RequestSpec]:
    """Requests a scoring server must refuse with a 4xx (broken JSON, wrong types), for `@given`."""
    from .payloads import payload_strategy

    return payload_strategy(malformed=True)
