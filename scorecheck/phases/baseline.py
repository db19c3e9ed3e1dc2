"""The baseline phase: the same requests to the released script and to the candidate, every difference a
behaviour change.

With `--baseline OLD_SCORE_PY` the released script runs as a second server (same model folder, environment and
server arguments, its own free port and process group, tied to this process like the candidate); with
`--baseline-target URL` a deployed endpoint answers. Both get every fixture request and the near tier's
deterministic requests (`baseline_plan.py`), bounded by `--baseline-max-requests` and `--max-time`. A request
whose answers differ is sent to both once more: what varies between two identical requests to one server is
non-determinism, left out of every later comparison and reported as a warning. Each remaining change, grouped by
signature, is a failed case of the `baseline` suite unless the accepted-changes file lists it.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

from .. import accepted_changes
from ..accepted_changes import Accepted, AcceptedChangesError, Signature
from ..behaviour import Answer, Rules, answer_of, differences, no_answer, varying
from ..config import RunConfig, find_pyproject
from ..engine.context import RunContext, server_died
from ..engine.launch import script_server
from ..model import WARNING_KIND, CaseFinished, Event, Outcome, RequestSpec, Suite, plural
from ..serverproc.client import Client, RequestError, redact_url, wait_answering
from ..serverproc.process import ServerProcess, ServerStartError
from ..serverproc.startup import describe_startup_failure
from ..volatile import request_ids
from .baseline_plan import Plan, Planned, plan
from .baseline_report import ChangeLog, Example, Seen, details, endpoint, entry_text, summary

SUITE: Suite = "baseline"
GROUP = "behaviour"
KIND = "BehaviourChange"


class BaselineUnavailable(Exception):
    """The baseline could not be reached: the message names the option, the details say why."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Baseline:
    """The reached baseline: its client, its process when we started it, and how it is named in reports."""

    client: Client
    server: Optional[ServerProcess]
    label: str  # "--baseline old_score.py" or "--baseline-target URL"


def accepted_path(config: RunConfig) -> Path:
    if config.accepted_changes is not None:
        return Path(config.accepted_changes)
    pyproject = Path(config.pyproject) if config.pyproject else find_pyproject(Path.cwd().resolve())
    return accepted_changes.default_path(pyproject, config.fixtures)


def baseline_phase(ctx: RunContext) -> Iterator[Event]:
    """One case per behaviour change (suite "baseline"), or one passed case when there is none."""
    config = ctx.config
    if config.baseline is None and config.baseline_target is None:
        return
    if ctx.halted is not None:
        yield ctx.halted.case("behaviour", SUITE, GROUP)
        return
    started = time.monotonic()
    try:
        accepted = accepted_changes.load(accepted_path(config))
        with _reach(ctx) as baseline:
            comparison = _Comparison(ctx, baseline)
            yield from comparison.run()
    except (BaselineUnavailable, AcceptedChangesError) as exc:
        message = exc.message if isinstance(exc, BaselineUnavailable) else str(exc)
        text = exc.details if isinstance(exc, BaselineUnavailable) else message
        elapsed = time.monotonic() - started
        yield CaseFinished(SUITE, GROUP, "baseline", "error", elapsed, message, "BaselineError", text)
        return
    if ctx.halted is not None:
        yield ctx.halted.case("behaviour", SUITE, GROUP)
        return
    yield from _Verdict(ctx, comparison, accepted, time.monotonic() - started).cases()


# ---------------------------------------------------------------------------------------------------------------
# Reaching the baseline


@contextlib.contextmanager
def _reach(ctx: RunContext) -> Iterator[Baseline]:
    config = ctx.config
    if config.baseline_target is not None:
        label = f"--baseline-target {redact_url(config.baseline_target)}"
        with _client(ctx, config.baseline_target) as client:
            try:
                wait_answering(client, time.monotonic() + config.startup_timeout)
            except ServerStartError as err:
                raise BaselineUnavailable(f"{label}: {err.message}", err.message) from err
            yield Baseline(client, None, label)
        return
    script = str(config.baseline)
    with script_server(config, script, ctx.client.redactor) as server:
        _wait_baseline(config, server, script)
        with _client(ctx, server.base_url) as client:
            yield Baseline(client, server, f"--baseline {script}")


def _client(ctx: RunContext, base_url: str) -> Client:
    # No log collection: the phase compares answers, and waiting for access lines would double its time.
    main = ctx.client
    return Client(base_url, timeout_s=main.timeout_s, headers=main.headers, redactor=main.redactor)


def _wait_baseline(config: RunConfig, server: ServerProcess, script: str) -> None:
    try:
        server.wait_ready(time.monotonic() + config.startup_timeout)
    except ServerStartError as err:
        failure = describe_startup_failure(
            script, err, model_dir=config.model_dir, env=dict(config.env), model_dir_option="--model-dir"
        )
        message = f"--baseline {script}: the baseline server did not start: {failure.headline}"
        shown = failure.traceback or tuple(err.log.splitlines()[-30:])
        text = "\n".join([message, *([failure.hint] if failure.hint else []), "", *shown])
        raise BaselineUnavailable(message[:300], text) from err


# ---------------------------------------------------------------------------------------------------------------
# Comparing


@dataclass
class _Comparison:
    """Sends the plan to both servers and keeps what it found."""

    ctx: RunContext
    baseline: Baseline
    changes: ChangeLog = field(default_factory=ChangeLog)
    varying: Dict[Tuple[str, str], str] = field(default_factory=dict)  # (endpoint, path) -> which server
    flaky: List[Tuple[Planned, str]] = field(default_factory=list)  # requests whose status varied
    compared: int = 0
    stopped_by: str = ""
    plan: Plan = field(default_factory=lambda: Plan((), 0))
    baseline_died: Optional[str] = None

    def run(self) -> Iterator[Event]:
        config = self.ctx.config
        self.plan = plan(config, self.ctx.cases, config.baseline_max_requests)
        end = time.monotonic() + config.max_time
        with _client(self.ctx, self.ctx.client.base_url) as candidate:
            for item in self.plan.requests:
                if time.monotonic() >= end:
                    self.stopped_by = f"the --max-time budget ({config.max_time:g} s) was spent"
                    return
                self._compare(item, candidate)
                yield from self._check_servers()
                if self.ctx.halted is not None or self.baseline_died:
                    return

    def _check_servers(self) -> Iterator[Event]:
        server = self.ctx.server
        if server is not None and not server.alive:
            yield from server_died(self.ctx, server.exit_code)
        base = self.baseline.server
        if base is not None and not base.alive:
            self.baseline_died = (
                f"the baseline server exited with code {base.exit_code} during the comparison"
            )

    def _compare(self, item: Planned, candidate: Client) -> None:
        base_client = self.baseline.client
        first = (_ask(base_client, item.request), _ask(candidate, item.request))
        self.compared += 1
        if not differences(*first, self._rules(item)):
            return
        second = (_ask(base_client, item.request), _ask(candidate, item.request))
        for side, one, two in (("candidate", first[1], second[1]), ("baseline", first[0], second[0])):
            paths, status_varies = varying(one, two)
            if status_varies:
                self.flaky.append((item, side))
                return
            for path in paths:
                self.varying.setdefault((_endpoint(item.request), path), side)
        for diff in differences(*first, self._rules(item)):
            curls = (base_client.curl(item.request), candidate.curl(item.request))
            self.changes.add(_endpoint(item.request), self.compared, Example(item, diff, *first, *curls))

    def _rules(self, item: Planned) -> Rules:
        here = _endpoint(item.request)
        seen = tuple(path for (where, path) in self.varying if where == here)
        return Rules(item.rules.tolerance, item.rules.ignore, seen)


def _endpoint(spec: RequestSpec) -> str:
    return endpoint(spec.method, spec.path)


def _ask(client: Client, spec: RequestSpec) -> Answer:
    try:
        obs = client.send(spec)
    except RequestError as err:
        return no_answer(f"{err.kind}: {err.message}")
    return answer_of(obs, request_ids(obs))


# ---------------------------------------------------------------------------------------------------------------
# The verdict


class _Verdict:
    """The comparison as report cases: the changes (failed unless accepted), non-determinism, or all alike."""

    def __init__(self, ctx: RunContext, comparison: _Comparison, accepted: Accepted, elapsed: float) -> None:
        self.config = ctx.config
        self.found = comparison
        self.accepted = accepted
        self.share = elapsed / max(len(comparison.changes.changes), 1)

    def cases(self) -> Iterator[Event]:
        found = self.found
        if found.baseline_died:
            yield self._case("baseline", "error", found.baseline_died, "BaselineError", self.context())
        written = None
        if self.config.accept_changes and found.changes.changes:
            try:
                written = self._write()
            except OSError as exc:
                message = f"--accept-changes: could not write {self.accepted.path}: {exc.strerror or exc}"
                yield self._case("accepted_changes", "error", message, "BaselineError", message)
        for signature, seen in found.changes.changes.items():
            yield self._change(signature, seen, written)
        if found.varying or found.flaky:
            yield self._nondeterminism()
        if not found.changes.changes and not found.baseline_died:
            message = f"{plural(found.compared, 'request')} answered alike by both servers"
            message += f" (stopped early: {found.stopped_by})" if found.stopped_by else ""
            yield self._case("no_behaviour_change", "passed", message, "", self.context())

    def _case(self, name: str, outcome: Outcome, message: str, kind: str, text: str) -> CaseFinished:
        # A passed case's report keeps only its output: the message and the text go there.
        log = f"{message}\n\n{text}" if outcome == "passed" else ""
        return CaseFinished(SUITE, GROUP, name, outcome, self.share, message, kind, text, log)

    def context(self) -> str:
        return "\n".join(self.context_lines())

    def context_lines(self) -> List[str]:
        found, config = self.found, self.config
        label = found.baseline.label
        lines = [
            f"baseline: {label}; compared {found.compared} of {plural(found.plan.available, 'request')} "
            f"(fixtures, then the near tier; at most --baseline-max-requests {config.baseline_max_requests})",
        ]
        if found.stopped_by:
            lines.append(f"stopped early: {found.stopped_by}")
        lines += [
            f"ignored, varies between two identical requests ({side}): {where} {path}"
            for (where, path), side in found.varying.items()
        ]
        return lines

    def _write(self) -> str:
        changes = self.found.changes.changes
        examples = {s: summary(s, seen, self.found.compared) for s, seen in changes.items()}
        added = accepted_changes.write(self.accepted, list(changes), examples)
        return f"{plural(len(added), 'change')} added to {self.accepted.path}"

    def _change(self, signature: Signature, seen: Seen, written: Optional[str]) -> CaseFinished:
        compared = self.found.compared
        line = summary(signature, seen, compared)
        hint = [
            f"to accept it: run again with --accept-changes, or add it to {self.accepted.path}:",
            *entry_text(signature),
        ]
        text = details(signature, seen, compared, [*hint, "", *self.context_lines()])
        if signature in self.accepted:
            return self._case(signature.text, "passed", f"accepted in {self.accepted.path}: {line}", "", text)
        if written is not None:
            return self._case(signature.text, "passed", f"accepted now ({written}): {line}", "", text)
        return self._case(signature.text, "failed", line, KIND, text)

    def _nondeterminism(self) -> CaseFinished:
        found = self.found
        paths: Set[str] = {f"{path} ({side})" for (_, path), side in found.varying.items()}
        parts = [f"fields that vary were ignored: {', '.join(sorted(paths))}"] if paths else []
        if found.flaky:
            parts.append(
                f"{plural(len(found.flaky), 'request')} answered with varying statuses were not compared"
            )
        message = "the same request was answered differently twice; " + "; ".join(parts)
        lines = [
            f"{item.request.method} {item.request.path} ({item.source}): the {side}'s status varies"
            for item, side in found.flaky
        ]
        text = "\n".join([*self.context_lines(), *lines])
        return self._case("nondeterministic_answers", "passed", message, WARNING_KIND, text)
