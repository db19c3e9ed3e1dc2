"""The property phase: after the replay, search for inputs that break the script and report one case per check.

It plans from what the server and the fixtures say (the swagger input and output schemas, the fixtures' request
shapes and latency limits), runs the hypothesis search (`search.py`), re-sends each check's smallest failing
request (a failure is reported with the evidence of that re-check), saves it as a fixture file and yields one
`CaseFinished` per selected check in the `property` suite. Nothing here prints.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from hypothesis.errors import HypothesisException
from hypothesis.strategies import SearchStrategy

from ..config import RunConfig, failures_dir, load_input_schema, property_examples, property_seed
from ..engine.context import RunContext, server_died
from ..fixtures.failures import save_failure
from ..measurements import TIER_NOTE, batch_scaling, latency
from ..model import (
    WARNING_KIND,
    Case,
    CaseFinished,
    Event,
    Outcome,
    PropertySummary,
    RequestSpec,
    Suite,
)
from ..shards import shard_groups
from .checks import (
    FAILURE,
    HOSTILE,
    NEAR,
    SCALING_FACTOR,
    SCHEMA,
    TIERS,
    WARNING,
    Check,
    CheckContext,
    CheckFailure,
    Exchange,
    Scaling,
    pitfalls,
    run_checks,
    select_checks,
    snippet,
)
from .hostile import hostile_requests, upload_probes
from .inputmodel import apply_schema
from .near import Near, Probe
from .predicted_conversion import ConversionPredictor, conversion_predictor
from .progress import ProgressThrottle
from .rerun import property_command
from .schemas import infer_schema, output_schema_from_swagger
from .search import (
    Budget,
    Finding,
    Search,
    SearchResult,
    SearchSettings,
    Sender,
    sent_counts,
    warning_lines,
)
from .strategies import input_schema_from_swagger, near_tier, schema_requests, succeeding_cases

SUITE: Suite = "property"
DEFAULT_PATH = "/score"
PAYLOAD_SHOWN = 4000  # characters of a payload written into a report
TIER_MEANING = {
    NEAR: "a fixture's request with 1-3 mutations",
    SCHEMA: "drawn from the declared input schema",
    HOSTILE: "malformed, wrong types, extreme values or a corrupted upload",
}
SCALING_FIXTURES = 5  # fixture requests timed for the scaling check
SCALING_SENDS = 4  # times each is sent; the first warms up, the fastest of the others counts


@dataclass
class Plan:
    """What the phase learned before searching: where to send, what to send, and what the checks compare with."""

    path: str
    strategies: Dict[str, SearchStrategy[RequestSpec]]
    context: CheckContext
    sources: List[str] = field(default_factory=list)  # one line per thing learned, for the report
    log_start: int = 0  # server log lines logged before the phase (boot and replay)
    sweep: List[Probe] = field(default_factory=list)  # the near tier's single mutations, sent first

    @property
    def group(self) -> str:
        return self.path.strip("/").split("/")[-1] or "score"


# ---------------------------------------------------------------------------------------------------------------
# Planning


def score_path(cases: Sequence[Case]) -> str:
    """The path most fixtures POST JSON to (a prefixed deployment scores elsewhere than /score)."""
    paths = Counter(
        c.request.path.split("?", 1)[0]
        for c in cases
        if c.request.method == "POST" and c.request.body is not None
    )
    return paths.most_common(1)[0][0] if paths else DEFAULT_PATH


def fetch_swagger(sender: Sender, path: str) -> Dict[str, Any]:
    """The OpenAPI 3 document the server builds for the script, or {} when it has none."""
    prefix = path[: -len("/score")] if path.endswith("/score") else ""
    request = RequestSpec(method="GET", path=f"{prefix}/swagger.json", query=(("version", "3"),))
    obs = sender.resend(request)
    if obs is None or obs.status != 200:
        return {}
    try:
        document = json.loads(obs.body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


def _expected_bodies(cases: Sequence[Case], path: str) -> List[Any]:
    kinds = ("json", "json_subset")
    return [c.expect.body_value for c in succeeding_cases(cases, path) if c.expect.body_kind in kinds]


def _output(
    swagger: Dict[str, Any], cases: Sequence[Case], path: str
) -> Tuple[Optional[Dict[str, Any]], str]:
    declared = output_schema_from_swagger(swagger)
    if declared is not None:
        return declared, "@output_schema (swagger ServiceOutput)"
    bodies = _expected_bodies(cases, path)
    inferred = infer_schema(bodies)
    return inferred, f"the shape of {len(bodies)} fixture response(s)" if inferred else ""


def _declared_input(
    swagger: Dict[str, Any], config: RunConfig, sources: List[str]
) -> Tuple[Optional[Dict[str, Any]], str]:
    """The input schema: @input_schema (swagger ServiceInput), else --input-schema, else none."""
    schema = input_schema_from_swagger(swagger)
    if schema is not None:
        return schema, "@input_schema (swagger ServiceInput)"
    if config.input_schema is not None:
        return load_input_schema(config.input_schema), f"--input-schema {config.input_schema}"
    return None, ""


def _tiers(
    ctx: RunContext, swagger: Dict[str, Any], path: str, sources: List[str]
) -> Tuple[Near, Dict[str, SearchStrategy[RequestSpec]]]:
    near = near_tier(ctx.selected_cases, path, ctx.config.max_batch)
    schema, origin = _declared_input(swagger, ctx.config, sources)
    if schema is not None and origin.startswith("--input-schema"):
        apply_schema(near.model, schema)  # declared, so it replaces what the fixtures suggest
    shaped = len(near.model.bodies) + len(near.raw)
    sources.append(
        f"near tier: {shaped} fixture request(s) with 1-3 mutations; batches at "
        f"{', '.join(near.model.batches()) or 'none'}"
        if shaped
        else "near tier: no fixture POSTs a body with a 2xx expectation"
    )
    strategies = {NEAR: near.strategy(), HOSTILE: hostile_requests(near, path)}
    if schema is not None:
        try:
            strategies[SCHEMA] = schema_requests(schema, near.model, path)
            sources.append(f"schema tier: {origin}")
        except (HypothesisException, ValueError, TypeError) as exc:
            sources.append(f"schema tier: none, the input schema cannot be generated from ({exc})")
    else:
        sources.append("schema tier: none (no @input_schema; --input-schema FILE declares one)")
    return near, strategies


def _latency_budget(ctx: RunContext) -> Optional[float]:
    if ctx.config.max_latency_ms is not None:
        return ctx.config.max_latency_ms
    limits = [c.expect.max_latency_ms for c in ctx.selected_cases if c.expect.max_latency_ms is not None]
    # The loosest fixture limit: generated inputs are often bigger than the recorded ones.
    return max(limits) if limits else None


def measure_scaling(near: Near, sender: Sender, sources: List[str]) -> Optional[Scaling]:
    """The fixtures' own latencies (fastest of a few sends each) as a linear cost per batch item."""
    points: List[Tuple[int, float]] = []
    for body in near.model.bodies[:SCALING_FIXTURES]:
        request = near.request(body)
        items = near.model.items_of(request.body or b"")
        timings = [sender.resend(request) for _ in range(SCALING_SENDS)]
        fastest = [obs.elapsed_ms for obs in timings[1:] if obs is not None and 200 <= obs.status < 300]
        if items is not None and fastest:
            points.append((items, min(fastest)))
    if not points:
        return None
    per_item = per_item_cost(points)
    scaling = Scaling(max(ms for _, ms in points), per_item, near.model.items_of)
    for items, ms in points:
        scaling.record(items, ms)
    sources.append(
        f"scaling: {per_item:.2f} ms per batch item from {len(points)} fixture request(s) ({scaling.describe()})"
    )
    return scaling


def per_item_cost(points: Sequence[Tuple[int, float]]) -> float:
    """The slope of latency over items, never below the largest fixture's cost per item (overhead included),
    so the extrapolation errs on the generous side: a linear-cost script is not blamed for being linear."""
    items, ms = max(points)
    floor = ms / max(items, 1)
    if len({n for n, _ in points}) < 2:
        return floor
    mean_n = sum(n for n, _ in points) / len(points)
    mean_ms = sum(t for _, t in points) / len(points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    slope = sum((n - mean_n) * (t - mean_ms) for n, t in points) / spread
    return max(slope, floor)


def _conversion_predictor(
    ctx: RunContext, swagger: Dict[str, Any], path: str, sources: List[str]
) -> Optional[ConversionPredictor]:
    """Under --target only: a launched server's log says when inference-schema's conversion failed."""
    if ctx.server is not None:
        return None
    predictor = conversion_predictor(input_schema_from_swagger(swagger), path)
    if predictor is None:
        return None
    left_out = f"; not for {', '.join(predictor.unpredicted)}" if predictor.unpredicted else ""
    sources.append(
        f"conversion: without the server log, a 5xx is checked against inference-schema's conversion of "
        f"{', '.join(predictor.params)}, run here{left_out}"
    )
    return predictor


def make_plan(ctx: RunContext, sender: Sender) -> Plan:
    path = score_path(ctx.selected_cases)
    swagger = fetch_swagger(sender, path)
    sources: List[str] = []
    near, strategies = _tiers(ctx, swagger, path, sources)
    output, output_source = _output(swagger, ctx.selected_cases, path)
    sources.append(f"output schema: {output_source or 'none'}")
    budget = _latency_budget(ctx)
    predictor = _conversion_predictor(ctx, swagger, path, sources)
    context = CheckContext(
        has_valid_inputs=not (strategies[NEAR].is_empty and SCHEMA not in strategies),
        output_schema=output,
        output_source=output_source,
        max_latency_ms=budget,
        hostile_severity=ctx.config.hostile_severity,
        has_logs=ctx.server is not None,
        healthy=sender.healthy,
        resend=sender.resend,
        predict_conversion=predictor,
        scaling=measure_scaling(near, sender, sources) if budget is not None else None,
    )
    sweep = [*near.sweep(), *upload_probes(near)]
    if ctx.config.shard is not None:
        sweep = shard_groups(sweep, lambda probe: probe.group, ctx.config.shard)
    return Plan(path, strategies, context, sources, log_start=sender.position(), sweep=sweep)


# ---------------------------------------------------------------------------------------------------------------
# The phase


def property_phase(ctx: RunContext) -> Iterator[Event]:
    """Yields one CaseFinished per selected check (suite "property"), after the whole search has run."""
    config = ctx.config
    seed = property_seed(config)
    if seed is None:
        return
    checks = select_checks(config.checks, config.exclude_checks)
    if ctx.halted is not None:
        yield from (ctx.halted.case(check.name, SUITE, "score") for check in checks)
        return
    client = ctx.client
    budget = Budget.starting_now(config.max_time, config.request_timeout)
    # Its own client without log collection: the search needs speed, the re-check gathers the evidence.
    with client.without_logs() as fast:
        sender = Sender(fast, ctx.server, budget)
        plan = make_plan(ctx, sender)
        settings = SearchSettings(
            seed, property_examples(config), config.max_time, config.shrink_time, config.hypothesis_database
        )
        search = Search(plan.strategies, checks, plan.context, sender, settings, sweep=plan.sweep)
        throttle = _throttle(ctx, search)
        search.progress = throttle
        result = search.run()
        if throttle is not None:
            throttle.finish(result.counts, search.failing(), budget.end - time.monotonic())
        yield _summary_event(result, seed)
        yield from _report(ctx, plan, checks, result, Sender(client, ctx.server, budget))
    yield from _measurements(ctx, plan, result)


def _measurements(ctx: RunContext, plan: Plan, result: SearchResult) -> Iterator[Event]:
    """The latency of every request the phase sent, and the batch scaling curve when it was measured."""
    tiers = [(TIER_NOTE.format(tier=tier), str(result.counts[tier])) for tier in TIERS]
    measured = [latency(ctx.client.timings.take(), "property phase", tiers)]
    scaling = plan.context.scaling
    if scaling is not None:
        measured.append(
            batch_scaling(
                scaling.curve.items(),
                scaling.base_ms,
                scaling.per_item_ms,
                SCALING_FACTOR,
                plan.context.max_latency_ms,
            )
        )
    yield from (measurement for measurement in measured if measurement is not None)


def _throttle(ctx: RunContext, search: Search) -> Optional[ProgressThrottle]:
    if ctx.progress is None:
        return None
    planned = search.planned_examples()
    return ProgressThrottle(ctx.progress, max_time_s=ctx.config.max_time, planned_examples=planned)


def _summary_event(result: SearchResult, seed: int) -> PropertySummary:
    examples = tuple((tier, result.counts[tier]) for tier in TIERS)
    return PropertySummary(examples=examples, elapsed_s=result.elapsed_s, seed=seed, digest=result.digest)


def _report(
    ctx: RunContext, plan: Plan, checks: Sequence[Check], result: SearchResult, sender: Sender
) -> Iterator[Event]:
    share = result.elapsed_s / max(len(checks), 1)
    reporter = _Reporter(ctx, plan, result, sender, share)
    if result.server_exit is not None:
        yield from reporter.server_exited(checks)
        return
    for check in checks:
        yield reporter.case(check)


@dataclass(frozen=True)
class _Evidence:
    exchange: Exchange
    failure: CheckFailure
    reproduced: Optional[bool]  # None: not re-checked, the phase's time budget was spent


class _Reporter:
    """Turns the search result into one CaseFinished per check, re-checking and saving failures."""

    def __init__(
        self, ctx: RunContext, plan: Plan, result: SearchResult, sender: Sender, share: float
    ) -> None:
        self.ctx = ctx
        self.plan = plan
        self.result = result
        self.sender = sender
        self.share = share
        self.seed = property_seed(ctx.config)

    def _finished(self, check: Check, outcome: Outcome, **fields: str) -> CaseFinished:
        return CaseFinished(SUITE, self.plan.group, check.name, outcome, self.share, **fields)

    def summary(self) -> str:
        result = self.result
        lines = [
            f"seed {self.seed}; examples: {sent_counts(result.counts)} in {result.elapsed_s:.2f} s; "
            f"digest {result.digest}",
            *self.plan.sources,
        ]
        if self.ctx.config.hypothesis_database:
            lines.append(
                "the seed was not used: with --hypothesis-database, examples are saved ones, then random"
            )
        if result.stopped_by:
            lines.append(f"the search stopped early: {result.stopped_by}")
        return "\n".join(lines)

    def case(self, check: Check) -> CaseFinished:
        reason = check.needs(self.plan.context)
        if reason is not None:
            return self._finished(check, "skipped", message=f"not run: {reason}", log=self.summary())
        if not any(self.result.counts[kind] for kind in check.kinds):
            message = "not run: no example reached this check within --max-time"
            return self._finished(check, "skipped", message=message, log=self.summary())
        finding = self.result.findings[check.name]
        if check.name == "output_schema" and not finding.failures and not self.result.answered_2xx:
            message = (
                "not checked: no near or schema example was answered with a 2xx, so no output was seen "
                "(every one was refused or failed)"
            )
            return self._finished(check, "skipped", message=message, log=self.summary())
        if check.name == "server_warnings":
            self._startup_pitfalls(finding)
        if finding.failures:
            return self._failed(check, finding)
        if finding.warnings:
            return self._warned(check, finding)
        return self._finished(check, "passed", log=self.summary())

    def _startup_pitfalls(self, finding: Finding) -> None:
        """Pitfalls logged before the search (boot, replay): shadowed modules, config.json, fixtures' NaN."""
        server = self.ctx.server
        for name, message in pitfalls(server.log_lines[: self.plan.log_start] if server else ()):
            finding.add(None, CheckFailure("ServerWarning", f"{name}: {message}", severity=WARNING))

    def _warned(self, check: Check, finding: Finding) -> CaseFinished:
        lines = warning_lines(finding)
        message = f"warning: {lines[0]}" + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
        examples = [
            f"  [{ex.kind}] {ex.request.method} {ex.request.path}: {_payload(ex.request, 200)}"
            for ex, _, _ in finding.warnings.values()
            if ex
        ]
        details = "\n".join(
            ["warnings (they do not fail the gate):", *(f"  {line}" for line in lines), *examples]
        )
        return self._finished(
            check,
            "passed",
            message=message,
            kind=WARNING_KIND,
            details=details,
            log=f"{details}\n\n{self.summary()}",
        )

    # -- failures ---------------------------------------------------------------------------------------------

    def _recheck(self, check: Check, finding: Finding) -> _Evidence:
        """Send the smallest failing request again (then the next ones); the evidence reported is the re-check's."""
        candidates = finding.candidates()
        for ex, _ in candidates:
            if self.sender.budget.spent():
                return _Evidence(*candidates[0], reproduced=None)
            again = self.sender.exchange(ex.kind, ex.request)
            for _, failure in run_checks([check], self.plan.context, again):
                if failure.severity == FAILURE:
                    return _Evidence(again, failure, reproduced=True)
        return _Evidence(*candidates[0], reproduced=False)

    def _failed(self, check: Check, finding: Finding) -> CaseFinished:
        evidence = self._recheck(check, finding)
        ex, failure = evidence.exchange, evidence.failure
        saved = self._save(check, evidence)
        message = f"[{ex.kind}] {failure.message}; payload {_payload(ex.request, 60)}"
        if evidence.reproduced is False:
            message = f"flaky, not reproduced on re-check: {message}"
        details = self._details(check.name, evidence, finding, saved)
        log = "\n".join(ex.log_lines)
        return self._finished(check, "failed", message=message, kind=failure.kind, details=details, log=log)

    def _save(self, check: Check, evidence: _Evidence) -> Optional[Path]:
        folder = failures_dir(self.ctx.config)
        if folder is None:
            return None
        failure = evidence.failure
        tier = evidence.exchange.kind
        description = f"Found by the property phase (check {check.name}, tier {tier}, seed {self.seed}): {failure.message}"
        try:
            return save_failure(
                folder,
                check=check.name,
                ex=evidence.exchange,
                failure=failure,
                ctx=self.plan.context,
                description=description,
            )
        except OSError:
            return None  # an unwritable folder must not hide the failure itself

    def _details(self, check: str, evidence: _Evidence, finding: Finding, saved: Optional[Path]) -> str:
        ex, obs = evidence.exchange, evidence.exchange.observation
        recheck = {
            True: "reproduced",
            False: "NOT reproduced (flaky); shown: the search's own observation",
            None: "not done, the --max-time budget was spent; shown: the search's own observation",
        }[evidence.reproduced]
        lines = [
            evidence.failure.message,
            "",
            f"minimal payload: {_payload(ex.request, PAYLOAD_SHOWN)}",
            f"tier:      {ex.kind} ({TIER_MEANING[ex.kind]})",
            f"request:   {ex.request.method} {ex.request.path}{_headers(ex.request)}",
            f"reproduce: {self.sender.client.curl(ex.request)}",
            f"response:  {obs.status} {snippet(obs.body, 200)}"
            if obs is not None
            else f"response:  none ({ex.error})",
            f"re-check:  {recheck}",
            f"found:     {finding.failures} failing example(s) among {sent_counts(self.result.counts)}"
            f" (digest {self.result.digest})",
            f"seed:      {self.seed} (the same seed searches the same examples: --seed {self.seed})",
        ]
        if saved is not None:
            lines.append(f"saved as:  {saved.as_posix()}")
        lines.append(f"replay:    {property_command(self.ctx.config, check, self.seed, saved)}")
        lines += ["", *self.plan.sources, "", f"server log{_request_id(ex)}:"]
        lines += [f"  {line}" for line in ex.log_lines] or ["  (no lines)"]
        return "\n".join(lines)

    def server_exited(self, checks: Sequence[Check]) -> Iterator[Event]:
        """The server process died during the search: server_survives fails, the other checks are not run."""
        assert self.result.server_exit is not None
        code, ex = self.result.server_exit
        message = f"the server exited with code {code} during the search"
        for check in checks:
            if check.name == "server_survives":
                yield self._server_death(check, message, ex)
        yield from server_died(self.ctx, code)
        halt = self.ctx.halted
        assert halt is not None
        yield from (halt.case(c.name, SUITE, self.plan.group) for c in checks if c.name != "server_survives")

    def _server_death(self, check: Check, message: str, ex: Optional[Exchange]) -> CaseFinished:
        """Not shrunk (there is no server left to shrink against), but reproducible and saved."""
        if ex is None:
            return self._finished(check, "failed", message=message, kind="ServerDied", details=message)
        saved = self._save(check, _Evidence(ex, CheckFailure("ServerDied", message), reproduced=False))
        lines = [
            message,
            "",
            f"payload:   {_payload(ex.request, PAYLOAD_SHOWN)}",
            f"reproduce: {self.sender.client.curl(ex.request)}",
            f"seed:      {self.seed}",
        ]
        lines += [f"saved as:  {saved.as_posix()}"] if saved is not None else []
        lines.append(f"replay:    {property_command(self.ctx.config, check.name, self.seed, saved)}")
        details = "\n".join(lines)
        message += f"; payload {_payload(ex.request, 60)}"
        return self._finished(check, "failed", message=message, kind="ServerDied", details=details)


def _payload(spec: RequestSpec, limit: int) -> str:
    body = spec.body or b""
    if not body:
        return "(empty body)"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"{len(body)} bytes, not UTF-8: {body[: limit // 4]!r}"
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(body)} bytes)"


def _headers(spec: RequestSpec) -> str:
    if spec.body_source == "json":
        return "  (Content-Type: application/json)"
    shown = ", ".join(f"{name}: {value}" for name, value in spec.headers)
    return f"  ({shown or 'no Content-Type'})"


def _request_id(ex: Exchange) -> str:
    return f" (x-request-id {ex.observation.request_id})" if ex.observation is not None else ""
