"""The replay phase, and the verdict on one fixture case that the CLI and the pytest plugin both give.

`judge_case` sends a case's request, compares the response with its expectation and writes the failure text
(diff, request, fixture, curl, how to replay, the request's server log lines). The replay phase turns the
verdict into a `CaseFinished`; the plugin turns it into a passing or failing test item.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Protocol, Sequence, Tuple

from ..compare import compare, first_kind, format_mismatches, summary_line
from ..config import response_ignore
from ..engine.context import Halt, Observer, RunContext, server_died
from ..measurements import latency
from ..model import CRASH_KIND, Case, CaseFinished, Event, Outcome, Suite
from ..serverproc.client import Client, RequestError
from ..volatile import DEFAULT_IGNORE
from .checks import worker_death, worker_died_message
from .rerun import replay_command

WORKER_DEATH_WAIT_S = 1.0


class ExitWatch(Protocol):
    """What a verdict needs of the server: whether it exited (None while it runs), and a request's log lines."""

    def wait_exit(self, timeout: float) -> Optional[int]: ...

    def lines_for(self, request_id: str) -> Tuple[str, ...]: ...


@dataclass(frozen=True)
class CaseVerdict:
    """How one fixture case went: `message` is the one-line summary, `details` the whole failure text."""

    outcome: Outcome  # "passed", "failed" or "error"
    elapsed_s: float
    message: str = ""
    kind: str = ""  # CamelCase failure category, "" when passed
    details: str = ""
    log: str = ""  # the request's server log lines
    server_exit: Optional[int] = None  # the server's exit code when it died during this request


def judge_case(
    client: Client,
    case: Case,
    *,
    replay: str,
    server: Optional[ExitWatch] = None,
    observer: Optional[Observer] = None,
    ignore: Sequence[str] = DEFAULT_IGNORE,
) -> CaseVerdict:
    """Send the case's request and compare; `replay` is the face's command that runs just this case again."""
    started = time.monotonic()
    try:
        obs = client.send(case.request)
    except RequestError as err:
        return _request_failed(case, err, time.monotonic() - started, replay, server)
    mismatches = compare(case.expect, obs, ignore)
    absorbed = observer(case, obs, mismatches) if observer is not None else False
    elapsed = time.monotonic() - started
    log = "\n".join(obs.log_lines)
    if not mismatches or absorbed:
        message = "expectation updated from the response" if mismatches else ""
        return CaseVerdict("passed", elapsed, message=message, log=log)
    details = case_details(
        case,
        format_mismatches(mismatches),
        curl=obs.curl,
        request_id=obs.request_id,
        log_lines=obs.log_lines,
        replay=replay,
    )
    kind = first_kind(mismatches) or "BodyMismatch"
    return CaseVerdict("failed", elapsed, summary_line(mismatches), kind, details, log)


def _request_failed(
    case: Case, err: RequestError, elapsed: float, replay: str, server: Optional[ExitWatch]
) -> CaseVerdict:
    # A refused or reset connection is what a dying server looks like; give it a moment to finish exiting.
    code = None
    if server is not None:
        code = server.wait_exit(1.0 if err.kind == "ConnectionError" else 0.0)
    message, kind, headline = err.message, err.kind, err.message
    lines = err.log_lines
    death = None if code is not None or server is None else _worker_death(server, err)
    if code is not None:
        message, kind = f"the server died during this request (exit code {code})", "ServerError"
        headline = f"{message}\n{err.message}"
    elif death is not None:
        message, kind = worker_died_message(death), CRASH_KIND
        headline, lines = f"{message}\n{err.message}", server.lines_for(err.request_id) if server else lines
    details = case_details(
        case, headline, curl=err.curl, request_id=err.request_id, log_lines=lines, replay=replay
    )
    return CaseVerdict("error", elapsed, message, kind, details, "\n".join(lines), server_exit=code)


def _worker_death(server: ExitWatch, err: RequestError) -> Optional[str]:
    """The server's line saying the worker died handling this request, if it did.

    The master logs it just after the connection drops, so a dropped connection waits a moment for it.
    """
    deadline = time.monotonic() + (WORKER_DEATH_WAIT_S if err.kind == "ConnectionError" else 0.0)
    while True:
        death = worker_death(server.lines_for(err.request_id))
        if death is not None or time.monotonic() >= deadline:
            return death
        time.sleep(0.02)


def case_details(
    case: Case, diff: str, *, curl: str, request_id: str, log_lines: Iterable[str], replay: str
) -> str:
    """The failure text: diff, request, fixture, curl, how to replay, the request's log lines."""
    where = case.file.as_posix() + (f" (cases[{case.index}])" if case.index is not None else "")
    lines = [
        diff,
        "",
        f"request:   {case.request.method} {case.request.path}",
        f"fixture:   {where}",
        f"reproduce: {curl}",
        f"replay:    {replay}",
        "",
        f"server log (x-request-id {request_id}):",
    ]
    logged = [f"  {line}" for line in log_lines]
    return "\n".join(lines + (logged or ["  (no lines)"]))


# ---------------------------------------------------------------------------------------------------------------
# The phase

SUITE: Suite = "replay"
GROUP = "fixtures"


def replay_phase(ctx: RunContext) -> Iterator[Event]:
    """Send every fixture case once and compare the response with its expectation."""
    for case in ctx.cases:
        if ctx.halted is not None:
            yield ctx.halted.case(case.name)
        elif case.skip is not None:
            yield CaseFinished(SUITE, GROUP, case.name, "skipped", 0.0, message=case.skip)
        else:
            yield from _replay_case(ctx, case)
    measured = latency(ctx.client.timings.take(), "replay")
    if measured is not None:
        yield measured


def _replay_case(ctx: RunContext, case: Case) -> Iterator[Event]:
    if ctx.server is not None and not ctx.server.alive:
        yield from server_died(ctx, ctx.server.exit_code)
        assert ctx.halted is not None
        yield ctx.halted.case(case.name)
        return
    replay = replay_command(ctx.config, case)
    verdict = judge_case(
        ctx.client,
        case,
        replay=replay,
        server=ctx.server,
        observer=ctx.observer,
        ignore=response_ignore(ctx.config),
    )
    yield CaseFinished(
        SUITE,
        GROUP,
        case.name,
        verdict.outcome,
        verdict.elapsed_s,
        message=verdict.message,
        kind=verdict.kind,
        details=verdict.details,
        log=verdict.log,
    )
    if verdict.server_exit is not None:
        yield from server_died(ctx, verdict.server_exit)
    elif verdict.outcome != "passed" and ctx.config.exitfirst and ctx.halted is None:
        ctx.halted = Halt("skipped", "", "not run: stopped after the first failure (--exitfirst)")
