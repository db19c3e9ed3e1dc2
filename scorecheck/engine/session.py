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
from ..model import Case, Event, RequestSpec, RunFinished, RunOutcome, ServerFailed, ServerStarted
from ..phases.memory import memory_phase, watch_memory
from ..phases.properties import property_phase
from ..phases.replay import replay_phase
from ..phases.startup import startup_phase
from ..serverproc.client import Client, RequestError, redact_url, server_name
from ..serverproc.process import ServerProcess, ServerStartError
from ..serverproc.secrets import Redactor
from ..serverproc.startup import describe_startup_failure
from .context import Halt, Observer, Phase, RunContext
from .events import run_started
from .tally import Tally

# The caller's exit code for each outcome: only the CLI decides what a run's outcome means to the shell.
ExitCodes = Callable[[RunOutcome], int]
DEFAULT_PHASES: Tuple[Phase, ...] = (
    startup_phase,
    watch_memory,
    replay_phase,
    property_phase,
    memory_phase,
)
# The gate sends one request at a time and waits for it, so at the end a worker still busy is busy with a
# request that hung: a long graceful stop would only wait for it (an idle server stops in about a second).
STOP_GRACE_S = 2.0


def _server(config: RunConfig, redactor: Redactor) -> ContextManager[Optional[ServerProcess]]:
    if config.target is not None or config.entry_script is None:
        return contextlib.nullcontext()
    return ServerProcess(
        config.entry_script,
        model_dir=config.model_dir,
        env=dict(config.env),
        extra_args=config.server_args,
        command=config.server_command or None,
        redactor=redactor,
        stop_grace_s=STOP_GRACE_S,
    )


def _wait_target(client: Client, deadline: float) -> str:
    """Any HTTP answer from a remote endpoint means it is up (it may well refuse `GET /` without a key)."""
    probe = RequestSpec(method="GET", path="/")
    while True:
        try:
            obs = client.send(probe, timeout_s=max(0.0, deadline - time.monotonic()))
        except RequestError as err:
            if time.monotonic() >= deadline:
                raise ServerStartError(f"the target did not answer: {err.message}", "", None) from err
            time.sleep(0.25)
            continue
        return server_name(obs)


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
    config: RunConfig, cases: Sequence[Case], observer: Optional[Observer], phases: Sequence[Phase]
) -> Generator[Event, None, None]:
    """Start-up, then the phases, inside the server's lifetime: leaving this generator stops the server."""
    started = time.monotonic()
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
                    server.wait_ready(deadline) if server is not None else _wait_target(client, deadline)
                )
            except ServerStartError as err:
                yield run_started(config, cases, base_url, "")
                yield _startup_failure(config, err, time.monotonic() - started)
                halt = Halt("skipped", "", "not run: server failed to start")
                yield from (halt.case(case.name) for case in cases)
                return
            yield run_started(config, cases, base_url, version)
            boot_log = (
                server.logs if server is not None else f"using the running endpoint {redact_url(base_url)}"
            )
            ready_s = time.monotonic() - started
            yield ServerStarted(elapsed_s=ready_s, log=boot_log)
            ctx = RunContext(config, cases, client, server, observer, ready_s=ready_s)
            for phase in phases:
                yield from phase(ctx)


def run(
    config: RunConfig,
    cases: Sequence[Case],
    *,
    exit_codes: ExitCodes,
    observer: Optional[Observer] = None,
    phases: Sequence[Phase] = DEFAULT_PHASES,
) -> Generator[Event, None, None]:
    """Yield the events of one gate run, ending with RunFinished carrying `exit_codes(outcome)`.

    A KeyboardInterrupt raised inside the run, or thrown in by the consumer with `.throw()`, stops the
    server and ends the stream with the unfinished cases skipped.
    """
    started = time.monotonic()
    tally = Tally(config, cases)
    session = _session(config, cases, observer, phases)
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
