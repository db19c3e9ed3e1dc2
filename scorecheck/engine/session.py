"""Run the gate: start (or reach) the server, run each phase, and yield what happened as model events.

The runner never prints and never exits: reporters consume its events and the CLI turns the final
`RunFinished.exit_code` into the process exit code. A run is a sequence of phases sharing one server and one
client; replay is the first phase and later ones (property checks) are appended to `DEFAULT_PHASES`.

Whatever happens (server death, Ctrl-C, a bug in scorecheck) the server is stopped first and the event
stream still ends with a `RunFinished`, so the report always gets written.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import time
import traceback
from typing import ContextManager, Dict, Generator, Iterator, List, Optional, Sequence, Set, Tuple

from .. import __version__
from ..cli.exitcodes import ExitCode
from ..compare import compare, first_kind, format_mismatches, summary_line
from ..config import RunConfig, property_seed
from ..model import (
    Case,
    CaseFinished,
    Event,
    FixtureError,
    RequestSpec,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)
from ..phases.properties import property_phase
from ..serverproc.client import Client, RequestError, redact_url
from ..serverproc.logs import exception_line, last_traceback, user_frame
from ..serverproc.process import ServerProcess, ServerStartError
from .context import Halt, Observer, Phase, RunContext, server_died

PRODUCT = "azmlinfsrv"


# ---------------------------------------------------------------------------------------------------------------
# The replay phase


def replay_phase(ctx: RunContext) -> Iterator[Event]:
    """Send every fixture case once and compare the response with its expectation."""
    for case in ctx.cases:
        if ctx.halted is not None:
            yield not_run(case.name, ctx.halted)
        elif case.skip is not None:
            yield _finished(case, "skipped", 0.0, message=case.skip)
        else:
            yield from _replay_case(ctx, case)


def not_run(name: str, halt: Halt, suite: str = "replay", group: str = "fixtures") -> CaseFinished:
    return CaseFinished(suite, group, name, halt.outcome, 0.0, message=halt.message, kind=halt.kind)


def _finished(case: Case, outcome: str, elapsed: float, **fields: str) -> CaseFinished:
    return CaseFinished("replay", "fixtures", case.name, outcome, elapsed, **fields)


def _replay_case(ctx: RunContext, case: Case) -> Iterator[Event]:
    if ctx.server is not None and not ctx.server.alive:
        yield from server_died(ctx, ctx.server.exit_code)
        yield not_run(case.name, _halt(ctx))
        return
    started = time.monotonic()
    try:
        obs = ctx.client.send(case.request)
    except RequestError as err:
        yield from _request_failed(ctx, case, err, time.monotonic() - started)
        return
    mismatches = compare(case.expect, obs)
    absorbed = ctx.observer(case, obs, mismatches) if ctx.observer is not None else False
    elapsed = time.monotonic() - started
    log = "\n".join(obs.log_lines)
    if not mismatches or absorbed:
        message = "expectation updated from the response" if mismatches else ""
        yield _finished(case, "passed", elapsed, message=message, log=log)
        return
    details = _details(
        ctx,
        case,
        format_mismatches(mismatches),
        curl=obs.curl,
        request_id=obs.request_id,
        log_lines=obs.log_lines,
    )
    kind = first_kind(mismatches) or "BodyMismatch"
    yield _finished(
        case, "failed", elapsed, message=summary_line(mismatches), kind=kind, details=details, log=log
    )
    _after_failure(ctx)


def _request_failed(ctx: RunContext, case: Case, err: RequestError, elapsed: float) -> Iterator[Event]:
    server = ctx.server
    # A refused or reset connection is what a dying server looks like; give it a moment to finish exiting.
    code = None
    if server is not None:
        code = server.wait_exit(1.0 if err.kind == "ConnectionError" else 0.0)
    details = _details(
        ctx, case, err.message, curl=err.curl, request_id=err.request_id, log_lines=err.log_lines
    )
    log = "\n".join(err.log_lines)
    if server is not None and code is not None:
        message = f"the server died during this request (exit code {code})"
        yield _finished(case, "error", elapsed, message=message, kind="ServerError", details=details, log=log)
        yield from server_died(ctx, code)
        return
    yield _finished(case, "error", elapsed, message=err.message, kind=err.kind, details=details, log=log)
    _after_failure(ctx)


def _halt(ctx: RunContext) -> Halt:
    assert ctx.halted is not None
    return ctx.halted


def _after_failure(ctx: RunContext) -> None:
    if ctx.config.exitfirst and ctx.halted is None:
        ctx.halted = Halt("skipped", "", "not run: stopped after the first failure (--exitfirst)")


def _details(
    ctx: RunContext, case: Case, diff: str, *, curl: str, request_id: str, log_lines: Sequence[str]
) -> str:
    where = case.file.as_posix() + (f" (cases[{case.index}])" if case.index is not None else "")
    path = case.request.path
    lines = [
        diff,
        "",
        f"request:   {case.request.method} {path}",
        f"fixture:   {where}",
        f"reproduce: {curl}",
    ]
    lines.append(f"replay:    {replay_command(ctx.config, case)}")
    lines += ["", f"server log (x-request-id {request_id}):"]
    lines += [f"  {line}" for line in log_lines] or ["  (no lines)"]
    return "\n".join(lines)


def replay_command(config: RunConfig, case: Case) -> str:
    """The command that runs just this case again."""
    words = ["scorecheck", "run"]
    words += [config.entry_script] if config.entry_script else []
    # The root, not the file: default case names are relative to the root they were loaded from.
    words += [case.root.as_posix()]
    if config.model_dir:
        words += ["--model-dir", config.model_dir]
    if config.target:
        words += ["--target", redact_url(config.target)]
    # Quoted so that names with spaces or `-k` keywords (and/or/not) stay one literal substring.
    keyword = f'"{case.name}"' if '"' not in case.name else f"'{case.name}'"
    words += ["-k", keyword]
    return " ".join(shlex.quote(word) for word in words)


# ---------------------------------------------------------------------------------------------------------------
# Start-up


def _server(config: RunConfig) -> ContextManager[Optional[ServerProcess]]:
    if config.target is not None or config.entry_script is None:
        return contextlib.nullcontext()
    return ServerProcess(
        config.entry_script,
        model_dir=config.model_dir,
        env=dict(config.env),
        extra_args=config.server_args,
        command=config.server_command or None,
    )


def _wait_target(client: Client, deadline: float) -> str:
    """Any HTTP answer from a remote endpoint means it is up (it may well refuse `GET /` without a key)."""
    probe = RequestSpec(method="GET", path="/")
    while True:
        try:
            obs = client.send(probe)
        except RequestError as err:
            if time.monotonic() >= deadline:
                raise ServerStartError(f"the target did not answer: {err.message}", "", None) from err
            time.sleep(0.25)
            continue
        return {k.lower(): v for k, v in obs.headers}.get("x-ms-server-version", "")


def _startup_failure(config: RunConfig, err: ServerStartError, elapsed: float) -> ServerFailed:
    """Name the user's exception and the file and line it came from, in one line."""
    tb = last_traceback(err.log.splitlines())
    script_dir = os.path.dirname(os.path.abspath(config.entry_script)) if config.entry_script else None
    where = user_frame(tb, script_dir) or user_frame(tb)
    what = exception_line(tb)
    phase = "init() failed" if "init function failed" in err.log else err.message
    message = phase + (f": {what}" if what else "") + (f" ({where})" if where else "")
    return ServerFailed(elapsed_s=elapsed, log=err.log, message=message[:200], exit_code=err.exit_code)


def _run_started(config: RunConfig, cases: Sequence[Case], base_url: str, version: str) -> RunStarted:
    properties = (
        ("python", platform.python_version()),
        ("base_url", redact_url(base_url)),
        ("fixtures", " ".join(config.fixtures)),
        ("mode", "target" if config.target else "subprocess"),
        ("scorecheck_version", __version__),
    )
    return RunStarted(
        entry_script=config.entry_script or "",
        base_url=redact_url(base_url),
        server_version=version or PRODUCT,
        seed=property_seed(config),
        planned=tuple(case.name for case in cases),
        properties=properties,
    )


def _session(
    config: RunConfig, cases: Sequence[Case], observer: Optional[Observer], phases: Sequence[Phase]
) -> Generator[Event, None, None]:
    """Start-up, then the phases, inside the server's lifetime: leaving this generator stops the server."""
    started = time.monotonic()
    with _server(config) as server:
        base_url = server.base_url if server is not None else str(config.target)
        with Client(
            base_url, timeout_s=config.request_timeout, headers=config.headers, logs=server
        ) as client:
            deadline = started + config.startup_timeout
            try:
                version = (
                    server.wait_ready(deadline) if server is not None else _wait_target(client, deadline)
                )
            except ServerStartError as err:
                yield _run_started(config, cases, base_url, "")
                yield _startup_failure(config, err, time.monotonic() - started)
                halt = Halt("skipped", "", "not run: server failed to start")
                yield from (not_run(case.name, halt) for case in cases)
                return
            yield _run_started(config, cases, base_url, version)
            boot_log = (
                server.logs if server is not None else f"using the running endpoint {redact_url(base_url)}"
            )
            yield ServerStarted(elapsed_s=time.monotonic() - started, log=boot_log)
            ctx = RunContext(config, cases, client, server, observer)
            for phase in phases:
                yield from phase(ctx)


class _Tally:
    """What the reporters have been told so far: enough to end the stream properly after an abort."""

    def __init__(self, config: RunConfig, cases: Sequence[Case]) -> None:
        self.config = config
        self.cases = cases
        self.started = False
        self.done: Set[str] = set()
        self.failed = False
        self.server_broken = False
        self.aborted: Optional[ExitCode] = None

    def record(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.started = True
        elif isinstance(event, CaseFinished):
            self.done.add(event.name)
            self.failed = self.failed or event.outcome in ("failed", "error")
        elif isinstance(event, (ServerFailed, ServerDied)):
            self.server_broken = True

    def abort(self, code: ExitCode, reason: str, kind: str, name: str, details: str) -> Iterator[Event]:
        """Close the stream after an interruption: unfinished cases are skipped, and one error case says why."""
        self.aborted = code
        finished = len(self.done & {case.name for case in self.cases})
        if not self.started:
            yield _run_started(self.config, self.cases, self.config.target or "", "")
        halt = Halt("skipped", "", f"not run: {reason}")
        yield from (not_run(case.name, halt) for case in self.cases if case.name not in self.done)
        progress = f"{finished} of {len(self.cases)} cases had finished"
        details = f"{reason}; {progress}; the server was stopped.\n{details}".rstrip("\n")
        yield CaseFinished(
            "replay", "harness", name, "error", 0.0, message=reason, kind=kind, details=details
        )

    def exit_code(self) -> ExitCode:
        if self.aborted is not None:
            return self.aborted
        if self.server_broken:
            return ExitCode.SERVER
        return ExitCode.CHECK_FAILED if self.failed else ExitCode.OK


DEFAULT_PHASES: Tuple[Phase, ...] = (replay_phase, property_phase)


def run(
    config: RunConfig,
    cases: Sequence[Case],
    *,
    observer: Optional[Observer] = None,
    phases: Sequence[Phase] = DEFAULT_PHASES,
) -> Generator[Event, None, None]:
    """Yield the events of one gate run, ending with RunFinished whose exit_code is the gate's verdict.

    A KeyboardInterrupt raised inside the run, or thrown in by the consumer with `.throw()`, stops the
    server and ends the stream with the unfinished cases skipped.
    """
    started = time.monotonic()
    tally = _Tally(config, cases)
    session = _session(config, cases, observer, phases)
    try:
        for event in session:
            tally.record(event)
            yield event
    except KeyboardInterrupt:
        session.close()  # stops the server before anything else is reported
        yield from _recorded(
            tally,
            tally.abort(
                ExitCode.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)", "Interrupted", "interrupted", ""
            ),
        )
    except Exception as exc:  # a scorecheck bug must still leave a report and no server behind
        session.close()
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        reason = f"scorecheck internal error: {type(exc).__name__}: {exc}"[:200]
        yield from _recorded(
            tally, tally.abort(ExitCode.HARNESS, reason, "HarnessError", "internal-error", details)
        )
    finally:
        session.close()
    yield RunFinished(elapsed_s=time.monotonic() - started, exit_code=int(tally.exit_code()))


def _recorded(tally: _Tally, events: Iterator[Event]) -> Iterator[Event]:
    for event in events:
        tally.record(event)
        yield event


def fixture_error_events(config: RunConfig, errors: Sequence[FixtureError]) -> Generator[Event, None, None]:
    """Malformed fixtures as a report of their own: one error case per file listing all its problems."""
    by_file: Dict[str, List[FixtureError]] = {}
    for error in errors:
        by_file.setdefault(error.file.as_posix(), []).append(error)
    yield _run_started(config, (), "", "")
    for name, problems in by_file.items():
        first = problems[0]
        message = f"{len(problems)} problem(s); first: {first.key}: {first.message}"
        details = "\n".join(str(problem) for problem in problems)
        yield CaseFinished(
            "replay", "fixtures", name, "error", 0.0, message=message, kind="FixtureError", details=details
        )
    yield RunFinished(elapsed_s=0.0, exit_code=int(ExitCode.USAGE))
