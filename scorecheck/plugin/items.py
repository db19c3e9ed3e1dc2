"""The active part of the pytest plugin: settings, fixtures, fixture files as test items, and reporting.

`pytest_plugin.pytest_configure` registers this module as a plugin only when the session asked for
scorecheck, so nothing here runs (or is even imported) otherwise. State lives in `config.stash`, so
nested sessions (pytester) and xdist workers each have their own server.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Generator, Iterable, Iterator, List, Optional, Tuple

import pytest

# The class behind `pytest.fail`, imported by name so that it can be subclassed (and type-checked).
from _pytest.outcomes import Failed

from ..config import DEFAULT_REQUEST_TIMEOUT, DEFAULT_STARTUP_TIMEOUT, ConfigError, parse_assignment
from ..fixtures.load import load_fixtures
from ..model import Case, FixtureError
from ..phases.replay import judge_case
from ..serverproc.client import redact_url
from ..serverproc.process import ABORT_GRACE_S
from .server import ScoreRequest, ScoreServer, ScoreServerError, ScoreSession, ServerSettings

if TYPE_CHECKING:  # pragma: no cover
    from hypothesis.strategies import SearchStrategy

    from ..model import RequestSpec

MARKER = "scorecheck"
# Marker names pytest gives a meaning.
_RESERVED_MARKERS = frozenset({"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"})
LOG_SECTION = "scorecheck server log (lines the server printed during this test)"
LOG_LIMIT = 200


@dataclass(frozen=True)
class PluginSettings:
    server: ServerSettings
    fixtures: Tuple[Path, ...] = ()
    fixtures_from_cmdline: bool = False
    replay_args: Tuple[str, ...] = ()  # the --score-* words given on the command line, for `replay:` lines


class _Catalog:
    """Every fixture case and problem, by file, loaded once per session with the gate's loader."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.cases, errors = load_fixtures(list(paths))
        self.by_file: Dict[Path, Tuple[List[Case], List[FixtureError]]] = {}
        for case in self.cases:
            self.by_file.setdefault(case.file.resolve(), ([], []))[0].append(case)
        for error in errors:
            if error.file.is_file():
                self.by_file.setdefault(error.file.resolve(), ([], []))[1].append(error)

    def lookup(self, path: Path) -> Optional[Tuple[List[Case], List[FixtureError]]]:
        return self.by_file.get(path.resolve())

    def tags(self) -> List[str]:
        return sorted({tag for case in self.cases for tag in case.tags})


@dataclass
class _State:
    settings: PluginSettings
    catalog: Optional[_Catalog] = None
    server: Optional[ScoreServer] = None
    start_failure: Optional[BaseException] = None
    first_failed: str = ""  # node id of the test that reported the start failure

    def load_catalog(self, config: pytest.Config) -> _Catalog:
        if self.catalog is None:
            self.catalog = _Catalog(self.settings.fixtures)
            # Registered, so that --strict-markers accepts them and pytest does not warn about typos.
            for tag in filter(markable, self.catalog.tags()):
                config.addinivalue_line("markers", f"{tag}: scorecheck fixture tag")
        return self.catalog


def markable(tag: str) -> bool:
    """Whether a fixture tag can be a marker: pytest refuses names starting with `_`, and a tag must
    not silently skip or xfail its case."""
    return bool(tag.strip()) and not tag.startswith("_") and tag not in _RESERVED_MARKERS


STATE = pytest.StashKey[_State]()
LOG_MARK = pytest.StashKey[int]()
# Sessions in this process, innermost last: `score_payloads()` strategies are built when a test module is
# imported and drawn during a test, with no config at hand.
_ACTIVE: List[_State] = []


class _StartFailed(Failed):
    """The server did not start: a setup error showing only our message (no pytest traceback)."""


class CaseFailed(Failed):
    """A fixture case failed; `summary` is the one-line message, the text is the CLI's details."""

    def __init__(self, summary: str, details: str) -> None:
        super().__init__(details, pytrace=False)
        self.summary = summary


# ---------------------------------------------------------------------------------------------------------------
# Settings


def activate(config: pytest.Config, name: str) -> None:
    """Read the settings, extend the collection and register this module as the active plugin."""
    settings = read_settings(config)
    state = _State(settings)
    config.stash[STATE] = state
    config.addinivalue_line("markers", f"{MARKER}: a case from a scorecheck fixture file")
    _extend_collection(config, settings)
    _ACTIVE.append(state)
    config.pluginmanager.register(sys.modules[__name__], name)


def _paths(config: pytest.Config) -> Tuple[Path, Path]:
    """Where command-line paths are relative to, and where ini paths are."""
    here = Path(config.invocation_params.dir)
    base = config.inipath.parent if config.inipath is not None else Path(config.rootpath)
    return here, base


def _absolute(folder: Path, text: str) -> str:
    # abspath, not resolve(): the server's tracebacks show the path as given, symlinks included.
    return os.path.abspath(folder / text)


def _path_setting(config: pytest.Config, name: str) -> Tuple[Optional[str], List[str]]:
    """(absolute path or None, the command-line words that set it)."""
    here, base = _paths(config)
    given = config.getoption(name)
    if given:
        return _absolute(here, given), ["--" + name.replace("_", "-"), given]
    ini = config.getini(name)
    return (_absolute(base, ini) if ini else None), []


def _fixture_paths(config: pytest.Config) -> Tuple[Tuple[Path, ...], List[str]]:
    here, _ = _paths(config)
    given: List[str] = config.getoption("score_fixtures") or []
    if given:
        words = [word for path in given for word in ("--score-fixtures", path)]
        return tuple(Path(_absolute(here, path)) for path in given), words
    return tuple(Path(os.path.abspath(path)) for path in config.getini("score_fixtures")), []


def _env(config: pytest.Config) -> Tuple[Tuple[str, str], ...]:
    """ini lines first, then the command line; a later KEY wins."""
    lines = [*config.getini("score_env"), *(config.getoption("score_env") or [])]
    try:
        return tuple(dict(parse_assignment(line, "score_env") for line in lines if line.strip()).items())
    except ConfigError as err:
        raise pytest.UsageError(str(err)) from None


def _startup_timeout(config: pytest.Config) -> float:
    text = config.getoption("score_startup_timeout") or config.getini("score_startup_timeout")
    if not text:
        return DEFAULT_STARTUP_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise pytest.UsageError(f"score_startup_timeout: expected a number of seconds > 0, got {text!r}")
    return value


def _target(config: pytest.Config) -> Optional[str]:
    target = config.getoption("score_target") or config.getini("score_target") or None
    if target is not None and not target.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--score-target: expected an http:// or https:// URL, got {target!r}")
    return target


def read_settings(config: pytest.Config) -> PluginSettings:
    """The plugin's settings: the command line wins over the ini file. Raises pytest.UsageError."""
    entry, entry_words = _path_setting(config, "score_entry")
    model_dir, model_words = _path_setting(config, "score_model_dir")
    fixtures, fixture_words = _fixture_paths(config)
    target = _target(config)
    if target is None and entry is not None and not os.path.isfile(entry):
        raise pytest.UsageError(f"--score-entry: no such file: {entry}")
    for path in fixtures:
        if not path.exists():
            raise pytest.UsageError(f"--score-fixtures: no such file or directory: {path}")
    server_args = tuple(config.getoption("score_server_arg") or config.getini("score_server_args"))
    server = ServerSettings(
        entry=entry,
        model_dir=model_dir,
        server_args=server_args,
        env=_env(config),
        target=target,
        startup_timeout=_startup_timeout(config),
        request_timeout=DEFAULT_REQUEST_TIMEOUT,
    )
    given_target = config.getoption("score_target")
    target_words = ["--score-target", redact_url(given_target)] if given_target else []
    return PluginSettings(
        server=server,
        fixtures=fixtures,
        fixtures_from_cmdline=bool(fixture_words),
        replay_args=(*entry_words, *fixture_words, *model_words, *target_words),
    )


def _arg_path(here: Path, arg: str) -> Optional[Path]:
    path = Path(_absolute(here, arg.split("::", 1)[0]))
    return path if path.exists() else None


def _overlaps(one: Path, other: Path) -> bool:
    return one == other or one in other.parents or other in one.parents


def _extend_collection(config: pytest.Config, settings: PluginSettings) -> None:
    """Collect the fixture folders unless the command line narrowed the collection without them.

    Folders from the ini are added when pytest collects its default paths (no path arguments), folders
    from `--score-fixtures` always; a folder overlapping a collected path is left to pytest's own walk
    (so `pytest cases/bad.yaml::bad` runs just that case).
    """
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    if explicit and not settings.fixtures_from_cmdline:
        return
    here = Path(config.invocation_params.dir)
    roots = [root for root in (_arg_path(here, arg) for arg in config.args) if root is not None]
    for path in settings.fixtures:
        if not any(_overlaps(path, root) for root in roots):
            config.args.append(str(path))


def _state(config: pytest.Config) -> _State:
    return config.stash[STATE]


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.server is not None:  # normally stopped by the fixture's teardown; this is the backstop
        state.server.stop()
        state.server = None
    if state in _ACTIVE:
        _ACTIVE.remove(state)


# ---------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def score_entry(pytestconfig: pytest.Config) -> Optional[str]:
    """The scoring script (absolute path) the session server runs; override to choose it in code."""
    return _state(pytestconfig).settings.server.entry


@pytest.fixture(scope="session")
def score_model_dir(pytestconfig: pytest.Config) -> Optional[str]:
    """Passed to the server as `--model_dir`."""
    return _state(pytestconfig).settings.server.model_dir


@pytest.fixture(scope="session")
def score_server_args(pytestconfig: pytest.Config) -> Tuple[str, ...]:
    """Extra `azmlinfsrv` arguments."""
    return _state(pytestconfig).settings.server.server_args


@pytest.fixture(scope="session")
def score_env(pytestconfig: pytest.Config) -> Dict[str, str]:
    """Environment variables of the server (on top of pytest's own environment)."""
    return dict(_state(pytestconfig).settings.server.env)


@pytest.fixture(scope="session")
def score_target(pytestconfig: pytest.Config) -> Optional[str]:
    """A running endpoint to test instead of starting a server."""
    return _state(pytestconfig).settings.server.target


@pytest.fixture(scope="session")
def score_server(request: pytest.FixtureRequest) -> Iterator[ScoreServer]:
    """The session's server (one per xdist worker): `base_url`, `pid`, `logs`, `restart()`."""
    state = _state(request.config)
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
            state.start_failure = _StartFailed(err.message, pytrace=False)
            raise state.start_failure from None
        yield server
    finally:
        state.server = None
        # After Ctrl-C the user wants their prompt back, not a graceful drain of a request in flight.
        interrupted = request.session.exitstatus == pytest.ExitCode.INTERRUPTED
        server.stop(ABORT_GRACE_S if interrupted else None)


def _usable(server: ScoreServer) -> None:
    try:
        server.check_alive()
    except ScoreServerError as err:
        pytest.fail(err.message, pytrace=False)


@pytest.fixture
def score_client(score_server: ScoreServer) -> Iterator[ScoreSession]:
    """A requests session bound to the server: `score_client.post("/score", json=...)`."""
    _usable(score_server)
    with ScoreSession(score_server.base_url, score_server.settings.request_timeout) as session:
        yield session


@pytest.fixture(scope="session")
def score_request(score_server: ScoreServer) -> Iterator[ScoreRequest]:
    """Send a RequestSpec with scorecheck's client (curl, per-request log lines). Session-scoped, so it
    can be used in `@given` tests."""
    sender = ScoreRequest(score_server)
    yield sender
    sender.close()


# ---------------------------------------------------------------------------------------------------------------
# Collection: one item per fixture case


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[FixtureFile]:
    state = parent.config.stash.get(STATE, None)
    if state is None or not state.settings.fixtures:
        return None
    found = state.load_catalog(parent.config).lookup(file_path)
    if found is None:
        return None
    node = FixtureFile.from_parent(parent, path=file_path)
    node.cases, node.problems = found
    return node


class FixtureFile(pytest.File):
    """A fixture file: its cases, or a collection error listing every problem (as the CLI does)."""

    cases: List[Case]
    problems: List[FixtureError]

    def collect(self) -> Iterable[pytest.Item]:
        if self.problems:
            listing = "\n".join(f"  {problem.key}: {problem.message}" for problem in self.problems)
            count = len(self.problems)
            raise self.CollectError(f"scorecheck: {count} problem(s) in fixture file {self.path}:\n{listing}")
        for case in self.cases:
            yield CaseItem.for_case(self, case)


def item_name(case: Case) -> str:
    """The case's `name:`; unnamed cases are called after their file, as in the CLI minus the folder
    (the node id already holds it)."""
    relative = case.file.relative_to(case.root).as_posix()
    default = relative if case.index is None else f"{relative}[{case.index}]"
    if case.name != default:
        return case.name
    return case.file.name if case.index is None else f"{case.file.name}[{case.index}]"


class CaseItem(pytest.Function):
    """One fixture case. A Function (not a bare Item) so that it gets the session fixtures."""

    case: Case

    @classmethod
    def for_case(cls, parent: FixtureFile, case: Case) -> CaseItem:
        item = cls.from_parent(parent, name=item_name(case), callobj=_case_test(case))
        item.case = case
        item.add_marker(MARKER)
        for tag in filter(markable, case.tags):
            item.add_marker(tag)
        if case.skip is not None:
            item.add_marker(pytest.mark.skip(reason=case.skip))
        return item

    def reportinfo(self) -> Tuple[Path, int, str]:
        # Line 0 (shown as 1): skip reports need a line, and the loader does not track one per case.
        # The "domain" titles the failure; it must not end the node id, or pytest would take it for a
        # dotted Python name and show `ok.yaml` as `ok::yaml`.
        return self.path, 0, f"{self.path.name}: {self.name}"


def _case_test(case: Case) -> Callable[[ScoreRequest, pytest.FixtureRequest], None]:
    def score_case(score_request: ScoreRequest, request: pytest.FixtureRequest) -> None:
        check_case(score_request, case, _replay(request))

    return score_case


def _replay(request: pytest.FixtureRequest) -> str:
    settings = _state(request.config).settings
    words = ["pytest", *settings.replay_args, request.node.nodeid]
    return " ".join(shlex.quote(word) for word in words)


def check_case(sender: ScoreRequest, case: Case, replay: str) -> None:
    """The gate's verdict on the case; raises CaseFailed with the CLI's diff, curl and log lines."""
    _usable(sender.server)
    verdict = judge_case(sender.client, case, replay=replay, server=sender.server)
    if verdict.outcome != "passed":
        raise CaseFailed(verdict.message, verdict.details)


# ---------------------------------------------------------------------------------------------------------------
# Reporting


def _uses_server(item: pytest.Item) -> bool:
    return "score_server" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # Where this test's log window starts; the server is up by now (fixtures are set up).
    state = item.config.stash.get(STATE, None)
    if state is not None and state.server is not None and _uses_server(item):
        item.stash[LOG_MARK] = state.server.mark()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.config.stash.get(STATE, None)
    if state is None or not report.failed or call.excinfo is None:
        return
    error = call.excinfo.value
    if error is state.start_failure and error is not None:
        _one_start_failure(state, item, report)
    elif isinstance(error, CaseFailed):
        _tidy_crash_message(report, error.summary)
    elif report.when == "call" and state.server is not None and LOG_MARK in item.stash:
        lines = state.server.lines_since(item.stash[LOG_MARK])[-LOG_LIMIT:]
        _attach(report, "\n".join(lines) or "(no lines)")


def _one_start_failure(state: _State, item: pytest.Item, report: pytest.TestReport) -> None:
    """The first test to need the server shows why it did not start; the others are skipped, as in the CLI."""
    if not state.first_failed:
        state.first_failed = item.nodeid
        return
    reason = f"not run: the scoring server failed to start (see the error of {state.first_failed})"
    report.outcome = "skipped"
    report.longrepr = (str(item.path), None, f"Skipped: {reason}")  # type: ignore[assignment]


def _tidy_crash_message(report: pytest.TestReport, summary: str) -> None:
    # The one-line summary, not the whole text, for the short test summary and the JUnit `message`.
    longrepr: Any = report.longrepr
    crash: Any = getattr(longrepr, "reprcrash", None)
    if not dataclasses.is_dataclass(crash) or isinstance(crash, type):
        return
    tidy = dataclasses.replace(crash, message=summary)
    longrepr.reprcrash = tidy
    chain = getattr(longrepr, "chain", None)
    # xdist rebuilds the report from the chain's last link, so that one must say the same.
    if isinstance(chain, list) and chain and chain[-1][1] is crash:
        chain[-1] = (chain[-1][0], tidy, *chain[-1][2:])


def _attach(report: pytest.TestReport, text: str) -> None:
    # Inside the failure text when possible, so that it also lands in the JUnit <failure>.
    longrepr: Any = report.longrepr
    if hasattr(longrepr, "addsection"):
        longrepr.addsection(LOG_SECTION, text)
    else:
        report.sections.append((LOG_SECTION, text))


# ---------------------------------------------------------------------------------------------------------------
# Hypothesis


def payload_strategy(malformed: bool) -> SearchStrategy[RequestSpec]:
    from hypothesis import strategies as st

    from ..phases.strategies import malformed_requests

    if malformed:
        return malformed_requests()
    return st.deferred(_session_payloads)


def _session_payloads() -> SearchStrategy[RequestSpec]:
    """Built on the first draw: the server's input schema and the fixture cases as examples."""
    from ..phases.strategies import valid_requests

    state = _ACTIVE[-1] if _ACTIVE else None
    if state is None:
        raise RuntimeError(
            "score_payloads() needs a pytest session run with --score-entry (or --score-target)"
        )
    if state.server is None:
        raise RuntimeError(
            "score_payloads() draws from the session server's input schema: use the score_request "
            "(or score_server) fixture in this test so that the server is running"
        )
    cases = state.catalog.cases if state.catalog is not None else []
    return valid_requests(state.server.input_schema(), cases)
