"""Run the gate: start (or reach) the server, run each phase, and yield what happened as model events.

The engine never prints and never exits: reporters consume its events, and the exit code the final
`RunFinished` carries comes from the caller's mapping of the run's outcome (the CLI's `exit_code_for`). A run
is a sequence of phases sharing one server and one client: replay, then the property checks.

Whatever happens (server death, Ctrl-C, a bug in scorecheck) the server is stopped first and the event
stream still ends with a `RunFinished`, so the report always gets written.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from typing import Callable, ContextManager, Generator, Iterator, Optional, Sequence, Tuple

from .. import interrupts
from ..config import RunConfig
from ..model import Case, Event, RunFinished, RunOutcome, ServerFailed, ServerStarted
from ..phases.baseline import baseline_phase
from ..phases.lint import lint_cases
from ..phases.memory import memory_phase, watch_memory
from ..phases.properties import property_phase
from ..phases.replay import replay_phase
from ..phases.startup import startup_phase
from ..serverproc.client import Client, redact_url, wait_answering
from ..serverproc.process import ServerProcess, ServerStartError
from ..serverproc.secrets import Redactor
from ..serverproc.startup import describe_startup_failure
from .context import Halt, Observer, Phase, ProgressListener, RunContext
from .events import run_started
from .launch import script_server
from .tally import Tally

# The caller's exit code for each outcome: only the CLI decides what a run's outcome means to the shell.
ExitCodes = Callable[[RunOutcome], int]
DEFAULT_PHASES: Tuple[Phase, ...] = (
    startup_phase,
    watch_memory,
    replay_phase,
    property_phase,
    memory_phase,
    baseline_phase,
)


def _server(config: RunConfig, redactor: Redactor) -> ContextManager[Optional[ServerProcess]]:
    if config.target is not None or config.entry_script is None:
        return contextlib.nullcontext()
    return script_server(config, config.entry_script, redactor)


def _startup_failure(config: RunConfig, err: ServerStartError, elapsed: float) -> ServerFailed:
    failure = describe_startup_failure(
        config.entry_script,
        err,
        model_dir=config.model_dir,
        env=dict(config.env),
        model_dir_option="--model-dir",
    )
    return ServerFailed(
        elapsed_s=elapsed,
        log=err.log,
        message=failure.headline[:200],
        exit_code=err.exit_code,
        traceback="\n".join(failure.traceback),
        hint=failure.hint,
    )


def _session(
    config: RunConfig,
    cases: Sequence[Case],
    observer: Optional[Observer],
    phases: Sequence[Phase],
    *,
    selected: Optional[Sequence[Case]] = None,
    progress: Optional[ProgressListener] = None,
) -> Generator[Event, None, None]:
    """Start-up, then the phases, inside the server's lifetime: leaving this generator stops the server."""
    started = time.monotonic()
    linted = lint_cases(config)  # before the server starts; reported even when it then fails to
    redactor = Redactor(config.headers)  # one for the server's log and the client's observations
    with _server(config, redactor) as server:
        base_url = server.base_url if server is not None else str(config.target)
        with Client(
            base_url,
            timeout_s=config.request_timeout,
            headers=config.headers,
            logs=server,
            redactor=redactor,
        ) as client:
            deadline = started + config.startup_timeout
            try:
                version = (
                    server.wait_ready(deadline) if server is not None else wait_answering(client, deadline)
                )
            except ServerStartError as err:
                yield run_started(config, cases, base_url, "")
                yield from linted
                yield _startup_failure(config, err, time.monotonic() - started)
                halt = Halt("skipped", "", "not run: server failed to start")
                yield from (halt.case(case.name) for case in cases)
                return
            yield run_started(config, cases, base_url, version)
            yield from linted
            boot_log = (
                server.logs if server is not None else f"using the running endpoint {redact_url(base_url)}"
            )
            ready_s = time.monotonic() - started
            yield ServerStarted(elapsed_s=ready_s, log=boot_log)
            ctx = RunContext(
                config, cases, client, server, observer, selected=selected, progress=progress, ready_s=ready_s
            )
            for phase in phases:
                yield from phase(ctx)


def run(
    config: RunConfig,
    cases: Sequence[Case],
    *,
    exit_codes: ExitCodes,
    observer: Optional[Observer] = None,
    phases: Sequence[Phase] = DEFAULT_PHASES,
    selected: Optional[Sequence[Case]] = None,
    progress: Optional[ProgressListener] = None,
) -> Generator[Event, None, None]:
    """Yield the events of one gate run, ending with RunFinished carrying `exit_codes(outcome)`.

    `cases` are replayed; `selected` (with --shard, the cases of every shard) is what the property phase learns
    the input model from, `cases` when None. `progress`, when given, is told how far the property phase has got
    while it runs (between its events).

    A KeyboardInterrupt raised inside the run, or thrown in by the consumer with `.throw()`, stops the
    server and ends the stream with the unfinished cases skipped.
    """
    started = time.monotonic()
    tally = Tally(config, cases)
    session = _session(config, cases, observer, phases, selected=selected, progress=progress)
    try:
        interrupts.check()
        for event in session:
            tally.record(event)
            yield event
            interrupts.check()  # an interrupt swallowed on the way (a gc callback) is raised again here
    except KeyboardInterrupt:
        interrupts.handled()
        session.close()  # stops the server before anything else is reported
        yield from tally.recorded(_interrupted(tally))
    except Exception as exc:  # a scorecheck bug must still leave a report and no server behind
        session.close()
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        reason = f"scorecheck internal error: {type(exc).__name__}: {exc}"[:200]
        yield from tally.recorded(
            tally.abort("internal_error", reason, "HarnessError", "internal-error", details)
        )
    finally:
        session.close()
    yield RunFinished(elapsed_s=time.monotonic() - started, exit_code=exit_codes(tally.outcome()))


def interrupted_before_start(
    config: RunConfig, cases: Sequence[Case], exit_codes: ExitCodes
) -> Generator[Event, None, None]:
    """The report of a run interrupted while it was being set up: every case not run, nothing started."""
    tally = Tally(config, cases)
    yield from _interrupted(tally)
    yield RunFinished(elapsed_s=0.0, exit_code=exit_codes(tally.outcome()))


def _interrupted(tally: Tally) -> Iterator[Event]:
    signal_name = interrupts.name()
    reason = f"interrupted ({signal_name or 'Ctrl-C or SIGTERM'})"
    return tally.abort("interrupted", reason, "Interrupted", "interrupted", "")
