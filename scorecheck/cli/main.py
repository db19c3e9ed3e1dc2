"""`scorecheck run` and `scorecheck record`: settings -> fixtures -> runner events -> reporters -> exit code.

Together with `cli/__init__.py` (the console script, which installs the signal handlers first), the only place
that ends the process or handles signals. Ctrl-C and SIGTERM (a cancelled CI job) take the same path
(`scorecheck.interrupts`): the server is stopped, the report written, and the exit code is 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Generator, List, Mapping, Optional, Protocol, Sequence, TextIO, cast

from hypothesis.configuration import set_hypothesis_home_dir

from .. import __version__, interrupts
from ..accepted_changes import DEFAULT_NAME as DEFAULT_ACCEPTED_NAME
from ..config import (
    DEFAULT_BASELINE_MAX_REQUESTS,
    DEFAULT_JUNIT_XML,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_MEMORY_GROWTH,
    DEFAULT_MAX_TIME,
    DEFAULT_SAVE_FAILURES,
    DEFAULT_SEED,
    DEFAULT_SHRINK_TIME,
    SEVERITIES,
    ConfigError,
    RunConfig,
    build_config,
    property_examples,
    property_seed,
)
from ..engine.context import ProgressListener
from ..engine.events import fixture_error_events
from ..engine.session import interrupted_before_start, run
from ..fixtures.load import load_fixtures
from ..fixtures.record import RecordError, Snapshotter, plan_recording
from ..fixtures.select import select
from ..model import Event, FixtureError, RunFinished, plural
from ..phases.checks import CHECKS
from ..phases.growth import DEFAULT_MIN_REQUESTS
from ..reporters.console import ConsoleReporter
from ..reporters.html import HtmlReporter
from ..reporters.json_report import JsonReporter
from ..reporters.junit import JUnitReporter
from ..reporters.output import ReaderGoneStream
from ..shards import shard_cases, shard_note
from .exitcodes import ExitCode, exit_code_for
from .lint import add_lint_parser, lint_command
from .merge import add_merge_parser, merge_junit
from .preflight import preflight

EXIT_CODES = """\
exit codes:
  0    every selected case passed
  1    a case failed (status, headers, body, schema, latency) or could not be checked
  2    usage error or malformed fixture file; every problem is listed and nothing is started
  3    the server failed to start (the script or its init() raised) or crashed during the run
       (the server exited, or a worker died handling a request)
  4    scorecheck itself failed (the report holds the traceback), or a report could not be written
  130  interrupted (Ctrl-C or SIGTERM); the server is stopped and the report still written
"""
SETTINGS = """\
Every option can also be set in [tool.scorecheck] of the nearest pyproject.toml (searched from the working
directory upward), e.g. score = "score.py", fixtures = ["fixtures"], model-dir = "model",
env = {KEY = "value"}, server-args = ["--worker_count=2"], junit-xml, startup-timeout, request-timeout,
keyword, tags, exitfirst, format, target, headers = ["Authorization: Bearer ${TOKEN}"], ignore,
default-ignore, html, and the property
phase's properties = false, seed, max-examples, max-time, shrink-time, checks, exclude-checks, max-latency-ms,
save-failures, hostile-severity, input-schema, max-batch, hypothesis-database, shard = "2/4",
the baseline's baseline, baseline-target, baseline-max-requests, accepted-changes, lint = false,
strict-lint, and the runtime checks' memory-check = false, max-memory-growth, max-startup-s.
The command line wins. Header values are never printed or written to reports.
"""


class Reporter(Protocol):
    def handle(self, event: Event) -> None: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------------------------
# Command line


def _server_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("server")
    group.add_argument(
        "--model-dir", metavar="DIR", help="passed to azmlinfsrv as --model_dir (AZUREML_MODEL_DIR)"
    )
    group.add_argument(
        "--env", action="append", metavar="KEY=VALUE", help="environment variable for the server (repeatable)"
    )
    group.add_argument(
        "--server-arg",
        action="append",
        metavar="ARG",
        help="extra azmlinfsrv flag, written with '=': --server-arg=--worker_count=2 (repeatable)",
    )
    group.add_argument(
        "--startup-timeout",
        type=float,
        metavar="SECONDS",
        help="wait this long for the server to answer (default 60)",
    )
    group.add_argument(
        "--request-timeout", type=float, metavar="SECONDS", help="per-request timeout (default 30)"
    )
    group.add_argument(
        "--target",
        metavar="URL",
        help="use a running or deployed endpoint (base URL, fixture paths are appended) instead of starting a server",
    )
    group.add_argument(
        "--header",
        action="append",
        metavar="'NAME: VALUE'",
        help="header sent with every request, e.g. 'Authorization: Bearer ...' (repeatable; never echoed)",
    )


def _output_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "-q", "--quiet", action="count", default=0, help="less output: no progress, no failure details"
    )
    group.add_argument("-v", "--verbose", action="count", default=0, help="one line per case")


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=100)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorecheck",
        description=_wrap(
            "Replay recorded requests against an AzureML scoring script served by azmlinfsrv, compare the "
            "responses with their expectations and write a JUnit report. The exit code is the gate."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scorecheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _run_parser(commands)
    _record_parser(commands)
    add_merge_parser(commands)
    add_lint_parser(commands)
    return parser


def _run_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "run",
        help="replay fixtures and gate on the result",
        usage="scorecheck run [options] SCORE_PY [FIXTURES ...]",
        description=_wrap(
            "Start azmlinfsrv with SCORE_PY on a free local port (or use --target), replay every fixture "
            "below FIXTURES (files or folders), compare each response with its expectation and write a "
            "JUnit report."
        ),
        epilog=EXIT_CODES + "\n" + SETTINGS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="SCORE_PY [FIXTURES ...]", help=argparse.SUPPRESS)
    _server_options(parser)
    group = parser.add_argument_group("selection and reports")
    group.add_argument(
        "-k",
        dest="keyword",
        action="append",
        metavar="EXPR",
        help="run cases whose name matches (pytest-style: 'batch and not slow')",
    )
    group.add_argument(
        "--tag", action="append", metavar="TAG", help="run cases carrying this tag (repeatable: any of them)"
    )
    group.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        help="stop after the first failed case; the rest are reported as skipped",
    )
    group.add_argument(
        "--junit-xml", metavar="PATH", help=f"JUnit XML report path (default {DEFAULT_JUNIT_XML})"
    )
    group.add_argument(
        "--format", choices=("text", "json"), help="console output: text (default) or one JSON document"
    )
    group.add_argument(
        "--update",
        action="store_true",
        help="rewrite the expectations of failing fixtures from the observed responses",
    )
    group.add_argument(
        "--ignore",
        action="append",
        metavar="JSONPATH",
        help="a JSON path left out of every fixture's comparison, like a fixture's `ignore` (repeatable)",
    )
    group.add_argument(
        "--no-default-ignore",
        action="store_true",
        help="compare the volatile fields ignored by default too ($.metadata.duration, request ids, timestamps)",
    )
    _property_options(parser)
    _shard_options(parser)
    _html_options(parser)
    _baseline_options(parser)
    _lint_options(parser)
    _runtime_options(parser)
    _output_options(parser)


def _shard_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "shards (one gate over several CI jobs; merge with `scorecheck merge-junit`)"
    )
    group.add_argument(
        "--shard",
        metavar="INDEX/TOTAL",
        help="run share INDEX of TOTAL (from 1, e.g. 2/4): the fixture cases split by a hash of their file and "
        "name, and the property phase's --max-examples divided, with a seed per shard (--max-time is per job)",
    )


def _html_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("HTML report")
    group.add_argument(
        "--html",
        metavar="PATH",
        help="also write the run as one self-contained HTML page (no network, no JavaScript): failures with "
        "their curl and log lines, the property phase per tier, plots of latency and batch scaling",
    )


def _baseline_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "behaviour diff against the baseline",
        _wrap(
            "Send the same fixture and near-tier requests to the released script (or endpoint) and to SCORE_PY; "
            "every answer that differs beyond the fixtures' tolerances is a behaviour change, which fails the "
            "gate unless the accepted-changes file lists it."
        ),
    )
    group.add_argument(
        "--baseline",
        metavar="OLD_SCORE_PY",
        help="the released scoring script, started as a second server with the same model dir, env and "
        "server args",
    )
    group.add_argument(
        "--baseline-target",
        metavar="URL",
        help="a deployed baseline endpoint (the --header values are sent too)",
    )
    group.add_argument(
        "--baseline-max-requests",
        type=int,
        metavar="N",
        help=f"requests compared at most, fixtures first (default {DEFAULT_BASELINE_MAX_REQUESTS}; "
        "--max-time bounds the phase too)",
    )
    group.add_argument(
        "--accepted-changes",
        metavar="FILE",
        help=f"the accepted changes (default {DEFAULT_ACCEPTED_NAME} beside pyproject.toml, else beside "
        "the fixtures)",
    )
    group.add_argument(
        "--accept-changes",
        action="store_true",
        help="add every change found to the accepted-changes file; the changes then pass",
    )


def _lint_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "lint",
        "Before the server starts, SCORE_PY is checked for production pitfalls (see `scorecheck lint`).",
    )
    group.add_argument("--no-lint", action="store_true", help="skip the lint")
    group.add_argument(
        "--strict-lint", action="store_true", help="lint findings fail the gate (default: they are warnings)"
    )


def _property_options(parser: argparse.ArgumentParser) -> None:
    checks = ", ".join(f"{name}{'' if c.default else ' (opt-in)'}" for name, c in CHECKS.items())
    group = parser.add_argument_group(
        "property phase",
        _wrap(f"After the replay, hypothesis searches for inputs that break the script. Checks: {checks}."),
    )
    group.add_argument("--no-properties", action="store_true", help="replay the fixtures only")
    group.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help=f"the search's seed; the same seed gives the same examples (default {DEFAULT_SEED})",
    )
    group.add_argument(
        "--max-examples",
        type=int,
        metavar="N",
        help=f"valid-input examples, plus a quarter as many malformed requests (default {DEFAULT_MAX_EXAMPLES})",
    )
    group.add_argument(
        "--max-time",
        type=float,
        metavar="SECONDS",
        help=f"time budget of the whole phase, shrinking included (default {DEFAULT_MAX_TIME:g})",
    )
    group.add_argument(
        "--shrink-time",
        type=float,
        metavar="SECONDS",
        help=f"time spent minimising the failures found, within --max-time (default {DEFAULT_SHRINK_TIME:g})",
    )
    group.add_argument(
        "--checks",
        action="append",
        metavar="NAMES",
        help="comma-separated checks to run, or 'all' (default: all but opt-in)",
    )
    group.add_argument(
        "--exclude-checks", action="append", metavar="NAMES", help="comma-separated checks to skip"
    )
    group.add_argument(
        "--max-latency-ms",
        type=float,
        metavar="MS",
        help="latency budget per request (default: the fixtures' max_latency_ms)",
    )
    group.add_argument(
        "--save-failures",
        metavar="DIR",
        help=f"write each failure as a fixture file here (default {DEFAULT_SAVE_FAILURES}; '' to write none)",
    )
    group.add_argument(
        "--hostile-severity",
        "--malformed-severity",
        dest="hostile_severity",
        choices=SEVERITIES,
        help="how a 5xx or bare NaN answer to a hostile request (malformed, wrong types, extreme values, "
        "corrupted uploads) counts (default warning: a correct script may refuse such input any way it likes)",
    )
    group.add_argument(
        "--input-schema",
        metavar="FILE",
        help="a JSON Schema of the request body, for a run() without @input_schema: it replaces what is "
        "inferred from the fixtures and adds the schema tier",
    )
    group.add_argument(
        "--max-batch",
        type=int,
        metavar="N",
        help="the largest batch the near tier's ladder sends (default: 100x the largest fixture batch, "
        "or a 1 MB body)",
    )
    group.add_argument(
        "--hypothesis-database", metavar="DIR", help="keep hypothesis' example database here (default: none)"
    )


def _runtime_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "runtime checks",
        _wrap(
            "When scorecheck starts the server itself: the workers' memory is sampled after every request "
            "(memory_growth) and the start-up time is measured (startup_time)."
        ),
    )
    group.add_argument(
        "--no-memory-check", action="store_true", help="do not sample the workers' memory (no memory_growth)"
    )
    group.add_argument(
        "--max-memory-growth",
        type=float,
        metavar="KB",
        help=f"sustained worker memory growth allowed per request served, after a warm-up "
        f"(default {DEFAULT_MAX_MEMORY_GROWTH:g} kB; judged over at least {DEFAULT_MIN_REQUESTS} requests)",
    )
    group.add_argument(
        "--max-startup-s",
        type=float,
        metavar="SECONDS",
        help="fail when the server takes longer than this from launch to ready, init() included "
        "(default: measured, not limited)",
    )


def _record_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "record",
        help="write fixtures from observed responses",
        usage="scorecheck record [options] SCORE_PY INPUT ... --out DIR",
        description=_wrap(
            "Send each input to the server and write a fixture per request whose expectation is the observed "
            "response. INPUT is a payload file (*.json is sent as JSON, other files as their bytes) or a "
            '*.jsonl file with one request per line in fixture format ({"json": ...}, {"method": "GET", '
            '"path": "/"}) or one case ({"name": ..., "tags": [...], "request": {...}}). Secret-bearing '
            "headers are never written."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="SCORE_PY INPUT", help=argparse.SUPPRESS)
    parser.add_argument("--out", metavar="DIR", help="folder for the new fixture files")
    parser.add_argument("--force", action="store_true", help="overwrite fixture files that already exist")
    parser.add_argument("--method", help="HTTP method for payload inputs (default POST)")
    parser.add_argument("--path", help="request path for payload inputs (default /score)")
    _server_options(parser)
    _output_options(parser)


# ---------------------------------------------------------------------------------------------------------------
# Driving the runner


def _reporters(config: RunConfig, console: bool = True) -> List[Reporter]:
    reporters: List[Reporter] = []
    report = config.junit_xml if config.command == "run" else None
    html = config.html if config.command == "run" else None
    written = ", ".join(path for path in (report, html) if path) or None  # named in the console's last line
    # A reader that closes the pipe early (`| head`) ends the console text, not the run.
    out = cast(TextIO, ReaderGoneStream(sys.stdout))
    if config.format == "json":
        reporters.append(JsonReporter(out))
    elif console:
        reporters.append(
            ConsoleReporter(out, verbosity=config.verbosity, color=config.color, report_path=written)
        )
    if report:
        fallback = {"entry_script": config.entry_script or "", "server": "azmlinfsrv"}
        reporters.append(JUnitReporter(Path(report), fallback))
    if html:
        reporters.append(HtmlReporter(Path(html)))
    return reporters


def _progress(reporters: Sequence[Reporter]) -> Optional[ProgressListener]:
    """The console draws the property phase's progress; JSON output and the JUnit file get none."""
    consoles = [reporter for reporter in reporters if isinstance(reporter, ConsoleReporter)]
    return consoles[0].progress if consoles else None


def _pump(events: Generator[Event, None, None], reporters: Sequence[Reporter]) -> int:
    """Feed every event to every reporter; a Ctrl-C that lands in a reporter is handed to the runner,
    which stops the server and ends the stream properly."""
    code = int(ExitCode.HARNESS)
    pending: Optional[BaseException] = None
    while True:
        try:
            event = events.throw(pending) if pending is not None else next(events)
        except StopIteration:
            return code
        pending = None
        if isinstance(event, RunFinished):
            code = event.exit_code
            interrupts.allow_raise(
                False
            )  # the verdict is in: an interrupt now must not cut the reports short
        try:
            for reporter in reporters:
                reporter.handle(event)
        except KeyboardInterrupt as exc:
            pending = exc


def _drive(events: Generator[Event, None, None], reporters: Sequence[Reporter]) -> int:
    reason: Optional[str] = None
    code = int(ExitCode.HARNESS)
    interrupts.allow_raise(True)
    try:
        code = _pump(events, reporters)
    except KeyboardInterrupt:
        reason, code = "interrupted", int(ExitCode.INTERRUPTED)
    except Exception:  # a reporter bug: still stop the server and write what we have
        reason = traceback.format_exc()
        _error(f"internal error:\n{reason}")
    finally:
        interrupts.allow_raise(False)  # the reports are written whatever arrives now
        events.close()
        written = _close(reporters, reason)
    # A gate that passed but lost its report must not look green: CI would publish nothing and say "passed".
    return int(ExitCode.HARNESS) if code == ExitCode.OK and not written else code


def _close(reporters: Sequence[Reporter], reason: Optional[str]) -> bool:
    """Close every reporter; False when a report could not be written (each failure said on stderr)."""
    written = True
    for reporter in reporters:
        try:
            if isinstance(reporter, (JUnitReporter, HtmlReporter)):
                reporter.close(reason)
            else:
                reporter.close()
        except OSError as exc:  # a full disk, a path that went away: the path and the reason, no traceback
            written = False
            where = f" {exc.filename}" if exc.filename else f" {getattr(reporter, 'path', '')}"
            _error(f"could not write the report{where.rstrip()}: {exc.strerror or exc}; give a writable path")
        except Exception:
            written = False
            _error(f"could not write a report:\n{traceback.format_exc()}")
    return written


def _error(text: str) -> None:
    print(f"scorecheck: error: {text}", file=sys.stderr, flush=True)


def _fixture_problems(errors: Sequence[FixtureError], config: RunConfig) -> int:
    files = {error.file for error in errors}
    _error(f"{len(errors)} problem(s) in {len(files)} fixture file(s); nothing was started:")
    for error in errors:
        print(f"  {error}", file=sys.stderr)
    _drive(fixture_error_events(config, errors, int(ExitCode.USAGE)), _reporters(config, console=False))
    return int(ExitCode.USAGE)


def _hypothesis_storage() -> None:
    """Hypothesis caches its Unicode tables (seconds of CPU to build) under ./.hypothesis by default: keep one
    cache per user instead, so a fresh CI checkout does not rebuild it, and the project gets no new folder."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    set_hypothesis_home_dir(cache / "scorecheck" / "hypothesis")


def _run(config: RunConfig) -> int:
    _hypothesis_storage()
    cases, errors = load_fixtures([Path(p) for p in config.fixtures])
    if errors:
        return _fixture_problems(errors, config)
    try:
        selected = select(cases, config.keywords, config.tags)
    except ValueError as exc:
        _error(str(exc))
        return int(ExitCode.USAGE)
    if not selected:
        found = (
            f"{plural(len(cases), 'case')} found, none selected by -k/--tag"
            if cases
            else "no fixture cases found"
        )
        _error(f"{found} in {', '.join(config.fixtures)}")
        return int(ExitCode.USAGE)
    mine = selected if config.shard is None else shard_cases(selected, config.shard)
    if config.shard is not None:
        note = shard_note(
            config.shard, len(mine), len(selected), property_seed(config), property_examples(config)
        )
        print(f"scorecheck: {note}", file=sys.stderr)
    snapshots = Snapshotter("update") if config.update else None
    reporters = _reporters(config)
    if interrupts.interrupted():  # during the set-up: report every case as not run
        return _drive(interrupted_before_start(config, mine, exit_code_for), reporters)
    observer = snapshots.observe if snapshots else None
    code = _drive(
        run(
            config,
            mine,
            exit_codes=exit_code_for,
            observer=observer,
            selected=selected,
            progress=_progress(reporters),
        ),
        reporters,
    )
    if snapshots is not None and code != ExitCode.INTERRUPTED:
        written = snapshots.write()
        print(f"updated {len(snapshots.changes)} expectation(s) in {len(written)} file(s)", file=sys.stderr)
        for path in written:
            print(f"  {path}", file=sys.stderr)
    return code


def _record(config: RunConfig) -> int:
    try:
        plan = plan_recording(config)
    except RecordError as exc:
        _error("cannot record:")
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return int(ExitCode.USAGE)
    paths = plan.write()
    _export_references(plan.references)
    cases, errors = load_fixtures(paths)
    if errors:
        plan.remove()
        return _fixture_problems(errors, config)
    snapshots = Snapshotter("record")
    events = (
        interrupted_before_start(config, cases, exit_code_for)
        if interrupts.interrupted()
        else run(config, cases, exit_codes=exit_code_for, observer=snapshots.observe)
    )
    code = _drive(events, _reporters(config))
    written = set(snapshots.write())
    for path in paths:
        if path not in written:
            path.unlink(missing_ok=True)  # no response to record (the request failed or never ran)
    print(f"recorded {len(written)} fixture(s) in {config.out_dir}", file=sys.stderr)
    return code


def _export_references(references: Mapping[str, str]) -> None:
    """The recorded fixtures name their credentials by variable: this run gets the values, the user is told."""
    if not references:
        return
    os.environ.update(references)
    names = ", ".join(f"${{{name}}}" for name in references)
    print(
        f"credentials in request headers were written as {names}: export them before `scorecheck run`",
        file=sys.stderr,
    )


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    """The exit code of one command; the signal handlers are in place already (`scorecheck.cli.main`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return int(ExitCode.USAGE)
    if args.command == "merge-junit":
        return merge_junit(args)
    if args.command == "lint":
        return _unless_interrupted(lint_command(args))
    try:
        config = build_config(args)
    except ConfigError as exc:
        _error(str(exc))
        return _unless_interrupted(ExitCode.USAGE)
    problems = preflight(config)
    if problems:
        _error(f"{len(problems)} problem(s); nothing was started:")
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return _unless_interrupted(ExitCode.USAGE)
    try:
        code = _record(config) if config.command == "record" else _run(config)
    except KeyboardInterrupt:  # outside a run: nothing was started, nothing to report
        code = int(ExitCode.INTERRUPTED)
    return _unless_interrupted(code)


def _unless_interrupted(code: int) -> int:
    """An interrupt received at any moment (even after the verdict was printed) ends in 130."""
    return int(ExitCode.INTERRUPTED) if interrupts.interrupted() else int(code)
