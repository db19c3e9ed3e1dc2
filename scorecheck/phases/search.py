"""Drive hypothesis over scoring requests and record which checks each example breaks.

Hypothesis generates and shrinks; this module sends each example, runs the checks and keeps its own record of
the smallest failing request per check. That record, not hypothesis' final exception, is what gets reported:
it survives a flaky server, several bugs at once, and budgets that cut shrinking short. Each failing check
raises its own exception type, so hypothesis shrinks every check's failure separately.

First the near tier's sweep (every single mutation of the fixtures once, the batch ladder climbing until a rung
is refused or slow) is sent as is: a bug one mutation away is found on every seed. Then hypothesis runs over the
hostile tier (a quarter of the examples), the schema tier when there is one, and the near tier's random
combinations. Each tier runs in rounds: hypothesis stops looking soon after its first failure, so once a round
has shrunk a failing check, the next round records that check without interrupting the search and looks for the
others. Shrinking stays within a tier, so a shrunk example keeps its tier.

Budgets: no new request is sent after `max_time`, nor later than `shrink_time` after a round's first failure.
Past a budget, the next example ends the round at once (hypothesis would otherwise go on generating the rest of
its examples, which takes seconds of CPU), keeping what the round has found.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Type

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.reporting import with_reporter
from hypothesis.strategies import SearchStrategy

from .. import interrupts
from ..model import Observation, RequestSpec
from ..serverproc.client import Client, RequestError
from ..serverproc.logs import has_any_access_line
from ..serverproc.process import ServerProcess
from .checks import (
    CHECKS,
    CLIENT_TIERS,
    FAILURE,
    HOSTILE,
    NEAR,
    SCHEMA,
    TIERS,
    Check,
    CheckContext,
    CheckFailure,
    Exchange,
    run_checks,
    worker_booted,
)
from .near import Probe

HEALTH = RequestSpec(method="GET", path="/")
RECOVERY_S = 60.0  # a restarted worker re-runs init(), which may load a model
KEPT_CANDIDATES = 5
LOG_WAIT_S = 1.0  # for the log lines of a 5xx
# A hypothesis run per tier, after the sweep: (tier, its share of --max-examples, its share of the time left).
# Hostile requests get a quarter: they come in few families, and the script's own logic is where most bugs are;
# the near tier gets --max-examples, the sweep included, and at least half of them as random combinations.
RUNS = ((HOSTILE, 0.25, 0.25), (SCHEMA, 0.3, 0.4), (NEAR, 1.0, 1.0))
SWEEP_SHARE = 0.6  # of --max-time at most for the sweep, so the random tiers always get time
Progress = Callable[[Counter[str], int, float], None]  # examples per tier, failing checks, seconds left


class ServerGone(BaseException):
    """The server process exited. A BaseException, so hypothesis stops instead of shrinking it."""

    def __init__(self, exit_code: Optional[int]) -> None:
        super().__init__(f"the server exited with code {exit_code}")
        self.exit_code = exit_code
        self.exchange: Optional[Exchange] = None  # the example that was being sent


class _Abort(BaseException):
    """A bug in scorecheck itself surfaced inside the search; hypothesis must not shrink it."""


class _OutOfTime(BaseException):
    """The round's time is up. A BaseException, so hypothesis stops at once: left to generate the rest of its
    examples without sending them, it can take longer than the whole budget on a loaded machine."""


class _Falsified(Exception):
    """Raised to hypothesis for a failing check; one subclass per check keeps their shrinking apart."""


_ORIGINS: Dict[str, Type[_Falsified]] = {
    name: type(f"Falsified_{name}", (_Falsified,), {}) for name in CHECKS
}


def request_size(spec: RequestSpec) -> Tuple[int, bytes, str]:
    """Orders requests by size, then content: the smallest failing request is the one reported."""
    return len(spec.body or b""), spec.body or b"", repr(spec.headers)


@dataclass
class Finding:
    """What one check saw during the search."""

    failures: int = 0
    # The few smallest failing examples, smallest first, and the first one found: a failure that does not
    # reproduce on the re-check (a latency spike, say) falls back to the next candidate.
    smallest: List[Tuple[Exchange, CheckFailure]] = field(default_factory=list)
    first: Optional[Tuple[Exchange, CheckFailure]] = None
    # warning message -> (first example, failure, how often)
    warnings: Dict[str, Tuple[Optional[Exchange], CheckFailure, int]] = field(default_factory=dict)

    def add(self, ex: Optional[Exchange], failure: CheckFailure) -> None:
        if failure.severity != FAILURE or ex is None:
            seen = self.warnings.get(failure.message)
            self.warnings[failure.message] = (seen[0], seen[1], seen[2] + 1) if seen else (ex, failure, 1)
            return
        self.failures += 1
        self.first = self.first or (ex, failure)
        if all(other.request != ex.request for other, _ in self.smallest):
            self.smallest.append((ex, failure))
            self.smallest.sort(key=lambda item: request_size(item[0].request))
            del self.smallest[KEPT_CANDIDATES:]

    def candidates(self) -> List[Tuple[Exchange, CheckFailure]]:
        """The examples to re-check, in the order they are tried."""
        found = list(self.smallest)
        if self.first is not None and all(self.first[0].request != ex.request for ex, _ in found):
            found.append(self.first)
        return found


@dataclass(frozen=True)
class Budget:
    """The phase's time: no new example after `end`, and no request of any kind (re-checks, waiting for a
    restarted worker) after `hard_end`, which is `end` plus one request timeout. Monotonic clock values."""

    end: float = math.inf
    hard_end: float = math.inf

    @classmethod
    def starting_now(cls, max_time: float, request_timeout: float) -> Budget:
        end = time.monotonic() + max_time
        return cls(end, end + request_timeout)

    def left(self) -> float:
        return self.hard_end - time.monotonic()

    def spent(self) -> bool:
        return self.left() <= 0


class Sender:
    """Sends one example and collects the server lines logged meanwhile; waits out worker restarts.

    Every request is cut short at the budget's hard end, so a hanging `run()` cannot stretch the phase.
    """

    def __init__(self, client: Client, server: Optional[ServerProcess], budget: Budget = Budget()) -> None:
        self.client = client
        self.server = server
        self.budget = budget

    def position(self) -> int:
        return len(self.server.log_lines) if self.server is not None else 0

    def lines_since(self, position: int) -> Tuple[str, ...]:
        return self.server.log_lines[position:] if self.server is not None else ()

    def _send(self, request: RequestSpec) -> Observation:
        left = self.budget.left()
        return self.client.send(request, timeout_s=left if left < math.inf else None)

    def exchange(self, kind: str, request: RequestSpec) -> Exchange:
        start = self.position()
        try:
            obs: Optional[Observation] = self._send(request)
            error, error_kind = "", ""
        except RequestError as err:
            obs, error, error_kind = None, err.message, err.kind
            try:
                self.recover(start, hung=err.kind == "Timeout")
            except ServerGone as gone:
                gone.exchange = Exchange(kind, request, None, error, self.lines_since(start), error_kind)
                raise
        if obs is not None and obs.status >= 500:
            self._await_access_line(start, request, obs.status)
        return Exchange(kind, request, obs, error, self.lines_since(start), error_kind)

    def _await_access_line(self, start: int, request: RequestSpec, status: int) -> None:
        """A 5xx is judged by its log lines (the script's traceback, the server's conversion warning), which
        the log reader may not have read yet: wait for one of the request's access lines, logged after them."""
        deadline = time.monotonic() + LOG_WAIT_S
        while self.server is not None and time.monotonic() < deadline:
            if has_any_access_line(self.lines_since(start), request.method, request.path, status):
                return
            time.sleep(0.005)

    def resend(self, request: RequestSpec) -> Optional[Observation]:
        if self.budget.spent():
            return None
        try:
            return self._send(request)
        except RequestError:
            return None

    def healthy(self) -> bool:
        if self.server is not None and not self.server.alive:
            return False
        try:
            return self._send(HEALTH).status < 500
        except RequestError:
            # A probe cut short by the end of the budget is no evidence of a dead server.
            return self.budget.spent()

    def recover(self, start: int, hung: bool = False) -> None:
        """After a request got no answer: wait until the server answers again (a new worker is up).

        A request that timed out left its worker busy, not dead: there is no restart to wait for. Raises
        ServerGone when the server process itself has exited.
        """
        deadline = min(time.monotonic() + RECOVERY_S, self.budget.hard_end)
        if self.server is not None and not self.server.alive:
            raise ServerGone(self.server.wait_exit(1.0))
        if hung:
            return
        while not self.healthy():
            if self.server is not None and not self.server.alive:
                raise ServerGone(self.server.wait_exit(1.0))
            if time.monotonic() >= deadline:
                return
            time.sleep(0.05)
        # The replacement worker answers only after the master logged its boot, but that line may still be in
        # the pipe: wait for it, or the next example would be blamed for this one's restart.
        settle = min(time.monotonic() + 1.0, deadline)
        while self.server is not None and not worker_booted(self.lines_since(start)):
            if time.monotonic() >= settle:
                return
            time.sleep(0.01)


@dataclass(frozen=True)
class SearchSettings:
    seed: int
    max_examples: int
    max_time: float
    shrink_time: float
    database: Optional[str] = None


@dataclass
class SearchResult:
    findings: Dict[str, Finding]
    counts: Counter[str]
    digest: str
    elapsed_s: float
    stopped_by: str = ""  # why hypothesis ended early, if it did
    server_exit: Optional[Tuple[Optional[int], Optional[Exchange]]] = None  # exit code, last example
    answered_2xx: int = 0  # near and schema examples answered with a 2xx


class Search:
    """The sweep, then hypothesis runs over the tiers of requests, judged by `checks`."""

    def __init__(
        self,
        strategies: Dict[str, SearchStrategy[RequestSpec]],
        checks: Sequence[Check],
        context: CheckContext,
        sender: Sender,
        settings: SearchSettings,
        *,
        sweep: Sequence[Probe] = (),
        progress: Optional[Progress] = None,
    ) -> None:
        self.strategies = {kind: s for kind, s in strategies.items() if not s.is_empty}
        self.sweep = list(sweep)
        self.progress = progress
        self.checks = [c for c in checks if c.needs(context) is None]
        self.context = context
        self.sender = sender
        self.settings = settings
        self.findings = {c.name: Finding() for c in checks}
        self.counts: Counter[str] = Counter()
        self._digest = hashlib.sha256()
        self._started = time.monotonic()
        self._phase_end = min(self._started + settings.max_time, sender.budget.end)
        self._stop_at = self._phase_end
        self._internal: Optional[BaseException] = None
        self._shrunk: Set[str] = set()  # checks whose failures an earlier round has shrunk
        self._answered_2xx = 0

    # -- budgets ------------------------------------------------------------------------------------------------

    def expired(self) -> bool:
        return time.monotonic() >= self._stop_at

    def _failure_found(self) -> None:
        self._stop_at = min(self._stop_at, time.monotonic() + self.settings.shrink_time)

    # -- one example --------------------------------------------------------------------------------------------

    def _send(self, kind: str, request: RequestSpec) -> Exchange:
        ex = self.sender.exchange(kind, request)
        self.counts[kind] += 1
        obs = ex.observation
        if kind in CLIENT_TIERS and obs is not None and 200 <= obs.status < 300:
            self._answered_2xx += 1
        self._digest.update(f"{kind} {request.method} {request.path} {request.headers}\n".encode())
        self._digest.update(request.body or b"")
        for part in request.files:
            self._digest.update(part.content)
        if self.progress is not None:
            # The phase's time left, not this round's: the user set --max-time, rounds are the search's business.
            self.progress(self.counts, self.failing(), max(0.0, self._phase_end - time.monotonic()))
        return ex

    def _example(self, kind: str, request: RequestSpec) -> None:
        interrupts.check()  # hypothesis may have swallowed a Ctrl-C in one of its gc callbacks
        if self.expired():
            raise _OutOfTime
        ex = self._send(kind, request)
        try:
            failed = self.judge(ex)
        except Exception as exc:  # a bug in a check: stop, and report it as scorecheck's own error
            self._internal = exc
            raise _Abort from exc
        if failed is not None:
            self._failure_found()
            raise _ORIGINS[failed](failed)

    def _run_sweep(self) -> None:
        """Every probe once, in order (near ones, and the hostile cut-short uploads); a ladder stops climbing at
        its first rung that is refused or slow."""
        stopped: Set[str] = set()
        deadline = self._started + SWEEP_SHARE * self.settings.max_time
        for probe in self.sweep:
            if self.expired() or time.monotonic() >= deadline:
                return
            if probe.group in stopped:
                continue
            ex = self._send(probe.tier, probe.request)
            failed = self.judge(ex)
            if probe.group and (failed is not None or not self._accepted(ex)):
                stopped.add(probe.group)
        # Single mutations need no shrinking: hypothesis goes on looking for the other checks' failures.
        self._shrunk |= self._failed_checks()

    def _accepted(self, ex: Exchange) -> bool:
        obs, budget = ex.observation, self.context.max_latency_ms
        if obs is None or not 200 <= obs.status < 300:
            return False
        return budget is None or obs.elapsed_ms <= budget

    def _failed_checks(self) -> Set[str]:
        return {name for name, finding in self.findings.items() if finding.failures}

    def failing(self) -> int:
        """Checks that have failed so far."""
        return len(self._failed_checks())

    def planned_examples(self) -> int:
        """The examples the search sends when time allows: the sweep and `RUNS` shares of --max-examples."""
        kinds = {kind for kind in self.strategies if any(kind in check.kinds for check in self.checks)}
        near = self.settings.max_examples if NEAR in kinds else 0
        sweep = len(self.sweep) if self.sweep and NEAR in kinds else 0
        others = sum(
            max(1, round(self.settings.max_examples * share))
            for kind, share, _ in RUNS
            if kind != NEAR and kind in kinds
        )
        # The near tier's random combinations are at least half its share, whatever the sweep sent.
        return others + max(near, sweep + near // 2)

    def judge(self, ex: Exchange) -> Optional[str]:
        """Run every applicable check; record what they raise; return the first check that failed."""
        failed: Optional[str] = None
        for check, failure in run_checks(self.checks, self.context, ex):
            self.findings[check.name].add(ex, failure)
            # A check shrunk in an earlier round is only recorded now, so the search goes on for others.
            if failure.severity == FAILURE and failed is None and check.name not in self._shrunk:
                failed = check.name
        return failed

    # -- the hypothesis runs -----------------------------------------------------------------------------------

    def _hypothesis_settings(self, max_examples: int, where: str) -> hypothesis.settings:
        database = self.settings.database
        phases = [Phase.generate, Phase.shrink]
        # A folder per kind and round: hypothesis forgets saved examples that pass, and a later round no
        # longer fails on the checks an earlier one shrank.
        if database:
            # Made at once, so the folder named by --hypothesis-database exists even when nothing is saved yet
            # (the sweep may find every failure before hypothesis does).
            Path(database, where).mkdir(parents=True, exist_ok=True)
        return hypothesis.settings(
            database=DirectoryBasedExampleDatabase(f"{database}/{where}") if database else None,
            phases=[Phase.reuse, *phases] if database else phases,
            max_examples=max_examples,
            deadline=None,
            derandomize=False,  # the seed decides; a CI profile must not swap it for a source hash
            report_multiple_bugs=True,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
        )

    def _test(self, kind: str, max_examples: int, round_index: int) -> Callable[[], None]:
        @self._hypothesis_settings(max_examples, f"{kind}-{round_index}")
        @hypothesis.given(self.strategies[kind])
        def property_search(request: RequestSpec) -> None:
            self._example(kind, request)

        if self.settings.database:
            return property_search  # hypothesis ignores its database in seeded runs
        return hypothesis.seed(self.settings.seed + round_index)(property_search)

    def run(self) -> SearchResult:
        """The sweep, then one hypothesis run per tier, sharing the findings, the counts and the time budget."""
        result = SearchResult(self.findings, self.counts, "", 0.0)
        phase_end = self._phase_end
        try:
            if self.sweep and any(NEAR in check.kinds for check in self.checks):
                self._run_sweep()
            for kind, examples, share in RUNS:
                if kind in self.strategies and any(kind in check.kinds for check in self.checks):
                    wanted = round(self.settings.max_examples * examples)
                    if kind == NEAR:  # the sweep counts, but at least half are random combinations
                        wanted = max(wanted - self.counts[NEAR], wanted // 2)
                    self._run_kind(kind, share, max(1, wanted), phase_end, result)
        except ServerGone as gone:
            result.server_exit = (gone.exit_code, gone.exchange)
        except _Abort:
            assert self._internal is not None
            raise self._internal from None
        return self._finish(result)

    def _run_kind(
        self, kind: str, share: float, examples: int, phase_end: float, result: SearchResult
    ) -> None:
        """Rounds of hypothesis runs: once a round has found and shrunk a failing check, the next one looks
        for the others (hypothesis stops searching soon after its first failure) until the examples or the
        time of this kind are spent."""
        now = time.monotonic()
        kind_end = min(phase_end, now + share * (phase_end - now))
        target = self.counts[kind] + examples
        for round_index in range(len(self.checks)):
            self._stop_at = kind_end
            failing = self._failed_checks()
            self._run_round(kind, target - self.counts[kind], round_index, result)
            found = self._failed_checks() - failing
            if not found or self.counts[kind] >= target or time.monotonic() >= kind_end:
                return
            self._shrunk |= found

    def _run_round(self, kind: str, examples: int, round_index: int, result: SearchResult) -> None:
        sent = sum(self.counts.values())
        failing = self._failed_checks()
        try:
            with with_reporter(lambda text: None):  # hypothesis must not print: the reporters own the output
                self._test(kind, examples, round_index)()
        except _OutOfTime:
            return  # what the round found is in the findings already
        except Exception as exc:  # the failures hypothesis re-raises, or a reason it stopped early
            if self._failed_checks() == failing:
                if sum(self.counts.values()) == sent:
                    raise  # not one example ran: a broken strategy, reported as scorecheck's own error
                result.stopped_by = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]

    def _finish(self, result: SearchResult) -> SearchResult:
        result.digest = self._digest.hexdigest()[:16]
        result.elapsed_s = time.monotonic() - self._started
        result.answered_2xx = self._answered_2xx
        return result


def sent_counts(counts: Counter[str]) -> str:
    parts = [f"{counts[kind]} {kind}" for kind in TIERS if counts[kind]]
    return ", ".join(parts) or "none"


def warning_lines(finding: Finding) -> List[str]:
    return [f"{failure.message} (x{count})" for _, failure, count in finding.warnings.values()]
