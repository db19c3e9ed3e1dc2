"""The property checks: small registered functions judging one request and its response.

Each check has a stable name (selectable with `--checks`/`--exclude-checks`, and the JUnit test case name), says
which tiers of requests it applies to and when it cannot run at all. A check raises `CheckFailure` when the
response breaks its rule; a `warning` severity is reported without failing the gate.

The tiers: `near` (a fixture's request with a few mutations) and `schema` (the declared input schema's domain)
are input a client sends, so a 5xx, a bare NaN, a broken output schema or a blown latency budget there fails
the gate. `hostile` requests (malformed, wrong types, extreme, corrupted uploads) may be refused; a 5xx or a
bare NaN there is a warning unless `--hostile-severity failure`. A dead worker or a hang fails on every tier,
and a 500 that inference-schema's own conversion raised before `run()` was entered is a warning on every tier.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from jsonschema.exceptions import best_match

from ..compare import format_path
from ..model import CRASH_KIND, Observation, RequestSpec
from ..serverproc.logs import last_traceback
from .schemas import validator

FAILURE = "failure"
WARNING = "warning"
NEAR = "near"
SCHEMA = "schema"
HOSTILE = "hostile"
TIERS = (NEAR, SCHEMA, HOSTILE)
CLIENT_TIERS: FrozenSet[str] = frozenset({NEAR, SCHEMA})  # input a client sends: held to every rule
ANY_KIND: FrozenSet[str] = frozenset(TIERS)
SCALING_FACTOR = 3.0  # a batch far slower than the linear extrapolation: a step or a superlinear cost
# The line the server logs when inference-schema's conversion failed before run() was entered.
CONVERSION_MARK = "run() was not entered: inference-schema could not convert the request body"
NON_FINITE = "NonFiniteJson"  # the failure type for a bare NaN/Infinity

# gunicorn's lifecycle lines (stderr) when a worker dies or is replaced.
_WORKER_DEATH = re.compile(
    r"Worker \(pid:\d+\) (?:exited with code \S+|was sent \S+)|WORKER TIMEOUT \(pid:\d+\)"
)
_WORKER_BOOT = re.compile(r"Booting worker with pid: \d+")
_RECORD = re.compile(r"^\S+ \S+ (?P<level>[A-Z]) \[\d+\] (?P<logger>[\w.]+) - (?P<message>.*)$")
# What our server logs about production pitfalls (the AzureML contract §7.7, §11, §17), by the text that names them.
PITFALLS: Tuple[Tuple[str, str], ...] = (
    ("form body", "so run() receives an empty string"),
    ("NaN/Infinity", "returned NaN or Infinity"),
    ("numpy result", "run() returned a numpy value"),
    ("shadowed module", "is shadowed in production"),
    ("config.json", "(a config.json found automatically)"),
    ("config.json", "holds none of the server's configuration keys"),
)


class CheckFailure(Exception):
    """A broken rule: `kind` is the JUnit failure type, `message` one line."""

    def __init__(self, kind: str, message: str, severity: str = FAILURE) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.severity = severity


@dataclass(frozen=True)
class Exchange:
    """One example: the request, what came back (or why nothing did) and the server lines logged meanwhile."""

    kind: str  # the tier: NEAR, SCHEMA or HOSTILE
    request: RequestSpec
    observation: Optional[Observation]
    error: str = ""  # why no response arrived
    log_lines: Tuple[str, ...] = ()
    error_kind: str = ""  # "Timeout" or "ConnectionError" when no response arrived


@dataclass
class CheckContext:
    """What the checks know about the script and can do to the server, shared by every example."""

    has_valid_inputs: bool = True
    output_schema: Optional[Mapping[str, Any]] = None
    output_source: str = ""  # where the output schema came from, for messages
    max_latency_ms: Optional[float] = None
    hostile_severity: str = WARNING
    has_logs: bool = True
    healthy: Callable[[], bool] = lambda: True  # does `GET /` still answer?
    resend: Callable[[RequestSpec], Optional[Observation]] = lambda request: None
    # Without the server log (--target): the error inference-schema's conversion would raise for a request.
    predict_conversion: Optional[Callable[[RequestSpec], Optional[str]]] = None
    scaling: Optional[Scaling] = None  # the linear cost per batch item, from the fixtures' latencies

    def severity(self, tier: str) -> str:
        return self.hostile_severity if tier == HOSTILE else FAILURE

    @cached_property
    def output_validator(self) -> Any:
        return validator(self.output_schema) if self.output_schema is not None else None


@dataclass
class Scaling:
    """The fixtures' latencies as a linear cost per batch item, and the curve measured during the search."""

    base_ms: float  # the slowest fixture request
    per_item_ms: float  # the highest cost per item among the fixtures: a generous extrapolation
    items_of: Callable[[bytes], Optional[int]]
    curve: Dict[int, float] = field(default_factory=dict)  # items -> fastest latency seen

    def expected_ms(self, items: int) -> float:
        return self.base_ms + self.per_item_ms * items

    def record(self, items: int, elapsed_ms: float) -> None:
        self.curve[items] = min(elapsed_ms, self.curve.get(items, elapsed_ms))

    def describe(self) -> str:
        points = ", ".join(f"{n}: {ms:.0f} ms" for n, ms in sorted(self.curve.items()))
        return f"measured curve (items: latency) {points}"


CheckFunction = Callable[[CheckContext, Exchange], None]


@dataclass(frozen=True)
class Check:
    name: str
    run: CheckFunction
    default: bool
    kinds: FrozenSet[str]
    summary: str
    needs: Callable[[CheckContext], Optional[str]] = field(default=lambda ctx: None)  # a reason it cannot run

    def applies(self, exchange: Exchange) -> bool:
        return exchange.kind in self.kinds


CHECKS: Dict[str, Check] = {}


def check(
    name: str,
    *,
    default: bool = True,
    kinds: FrozenSet[str] = ANY_KIND,
    summary: str,
    needs: Callable[[CheckContext], Optional[str]] = lambda ctx: None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under `name`; registration order is the order checks run and are reported in."""

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[name] = Check(name, function, default, kinds, summary, needs)
        return function

    return register


def select_checks(names: Sequence[str], excluded: Sequence[str] = ()) -> List[Check]:
    """The checks to run: `names` (or the default ones; "all" for every one) minus `excluded`.

    Raises ValueError naming an unknown check.
    """
    for name in [*names, *excluded]:
        if name not in CHECKS and name != "all":
            raise ValueError(f"unknown check {name!r} (known: {', '.join(CHECKS)}, all)")
    if "all" in names:
        chosen = list(CHECKS)
    else:
        chosen = [n for n in CHECKS if n in names] if names else [n for n, c in CHECKS.items() if c.default]
    return [CHECKS[name] for name in chosen if name not in excluded]


def run_checks(
    checks: Iterable[Check], context: CheckContext, exchange: Exchange
) -> Iterator[Tuple[Check, CheckFailure]]:
    """Run each check that applies to the exchange and can run in this context; yield what each one raised.

    Lazy, so a caller that stops at the first failure does not run (or send the requests of) the rest. Both
    severities are yielded; only a `FAILURE` fails the gate.
    """
    for chosen in checks:
        if not chosen.applies(exchange) or chosen.needs(context) is not None:
            continue
        try:
            chosen.run(context, exchange)
        except CheckFailure as failure:
            broken: Optional[CheckFailure] = failure
        else:
            broken = None
        if broken is not None:  # yielded outside the handler: the caller's exceptions get no context from it
            yield chosen, broken


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def _content_type(obs: Observation) -> str:
    value = next((v for k, v in obs.headers if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def labelled_json(obs: Observation) -> bool:
    media = _content_type(obs)
    return media == "application/json" or media.endswith("+json")


def error_message(body: bytes) -> str:
    """The message of an error body: AzureML's `{"message": ...}`, the unified envelope's
    `{"result": false, "data": {"message": ..., "error_type": ...}}`, else the start of the body."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return snippet(body, 80)
    if not isinstance(doc, dict):
        return snippet(body, 80)
    data = doc.get("data")
    if "message" not in doc and isinstance(data, dict) and "message" in data:
        kind = data.get("error_type")
        return f"{kind}: {data['message']}" if kind else str(data["message"])
    return str(doc.get("message", "")) or snippet(body, 80)


def _error_text(obs: Observation, lines: Sequence[str]) -> str:
    """The server's error message and, when the log has one, the script's exception."""
    raised = root_cause(last_traceback(lines))
    return "; ".join(part for part in (error_message(obs.body), raised) if part)


def root_cause(traceback_lines: Sequence[str]) -> str:
    """The first `SomeError: message` line of a traceback: with chained exceptions, the script's own."""
    for line in traceback_lines:
        if not line.strip() or line.startswith((" ", "\t")) or _RECORD.match(line):
            continue
        if not line.startswith(("Traceback", "The above exception", "During handling")):
            return line.strip()
    return ""


def snippet(body: bytes, limit: int = 60) -> str:
    """The start of a body as text, for one-line messages."""
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _NonFinite(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _reject_constant(constant: str) -> Any:
    raise _NonFinite(constant)


def strict_json(body: bytes) -> Any:
    """Parse as RFC 8259 JSON: Python's bare NaN/Infinity extension is refused. Raises ValueError."""
    return json.loads(body, parse_constant=_reject_constant)


def worker_death(lines: Sequence[str]) -> Optional[str]:
    """The lifecycle line showing that a worker died or was replaced, if any."""
    for pattern in (_WORKER_DEATH, _WORKER_BOOT):
        for line in lines:
            found = pattern.search(line)
            if found:
                return found.group()
    return None


def worker_died_message(death: str) -> str:
    return f"the worker died handling this request and was restarted ({death})"


def worker_booted(lines: Sequence[str]) -> bool:
    """Whether a (replacement) worker was booted in these lines."""
    return any(_WORKER_BOOT.search(line) for line in lines)


def pitfalls(lines: Sequence[str]) -> List[Tuple[str, str]]:
    """(pitfall, message) for each server log record naming a production pitfall."""
    found = []
    for line in lines:
        record = _RECORD.match(line)
        if record is None or not record.group("logger").startswith("azmlinfsrv"):
            continue
        message = record.group("message")
        name = next((name for name, text in PITFALLS if text in message), None)
        if name is not None:
            found.append((name, message))
    return found


# ---------------------------------------------------------------------------------------------------------------
# The checks, in reporting order


@check(
    "server_survives",
    summary="the server and its worker are still the same and healthy after each request",
)
def server_survives(ctx: CheckContext, ex: Exchange) -> None:
    death = worker_death(ex.log_lines)
    if death is not None:
        raise CheckFailure(CRASH_KIND, worker_died_message(death))
    if ex.observation is None and ex.error_kind == "Timeout":
        # A hang, not a crash: the worker is still busy with it, and every later request queues behind it.
        raise CheckFailure("Timeout", f"run() did not answer: {ex.error}")
    if ex.observation is None:
        raise CheckFailure(CRASH_KIND, f"no response, the connection was dropped: {ex.error}")
    if ex.observation.status >= 500 and not ctx.healthy():
        raise CheckFailure(CRASH_KIND, "after this request the server no longer answers GET /")


def _needs_valid(ctx: CheckContext) -> Optional[str]:
    if ctx.has_valid_inputs:
        return None
    return (
        "no valid input is known: run() has no @input_schema and no fixture POSTs JSON with a 2xx expectation; "
        "add one (or decorate run()) so the search knows what the script accepts"
    )


def _conversion_reason(ctx: CheckContext, ex: Exchange) -> Optional[Tuple[str, str]]:
    """(where the 500 came from, why) when inference-schema's conversion failed: from the server's log line, or,
    without the log (--target), predicted by running the same conversion on the body here."""
    marked = next((line for line in ex.log_lines if CONVERSION_MARK in line), None)
    if marked is not None:
        reason = marked.split(CONVERSION_MARK, 1)[1].split("). ", 1)[0].strip(" (")
        return "from inference-schema's own conversion before run() was entered", reason
    if ctx.has_logs or ctx.predict_conversion is None:
        return None
    predicted = ctx.predict_conversion(ex.request)
    if predicted is None:
        return None
    return (
        "most likely from inference-schema's own conversion before run() was entered",
        f"{predicted}; predicted: the endpoint's log is not visible, and this body fails the same conversion "
        "here, rebuilt from its swagger ServiceInput at inference-schema's defaults",
    )


def conversion_failure(ctx: CheckContext, ex: Exchange) -> Optional[CheckFailure]:
    """A 5xx from inference-schema's conversion, before run() was entered: a warning on every tier."""
    obs = ex.observation
    found = _conversion_reason(ctx, ex) if obs is not None and obs.status >= 500 else None
    if obs is None or found is None:
        return None
    origin, reason = found
    return CheckFailure(
        "ConversionError",
        f"status {obs.status} {origin} ({reason}); "
        "production answers 500 too and no change to run() prevents it: have clients send what the "
        "@input_schema sample describes, or declare a looser parameter type and answer 400 from run()",
        severity=WARNING,
    )


@check(
    "not_a_server_error",
    kinds=CLIENT_TIERS,
    summary="near and schema requests (what a client sends) never get a 5xx",
    needs=_needs_valid,
)
def not_a_server_error(ctx: CheckContext, ex: Exchange) -> None:
    obs = ex.observation
    if obs is not None and obs.status >= 500:
        converted = conversion_failure(ctx, ex)
        if converted is not None:
            raise converted
        detail = _error_text(obs, ex.log_lines)
        raise CheckFailure("ServerError", f"status {obs.status} for {ex.kind} input: {detail}")


@check("valid_json", summary="a body labelled JSON parses as strict JSON (no bare NaN or Infinity)")
def valid_json(ctx: CheckContext, ex: Exchange) -> None:
    obs = ex.observation
    if obs is None or not labelled_json(obs):
        return
    severity = ctx.severity(ex.kind)
    try:
        strict_json(obs.body)
    except _NonFinite as exc:
        raise CheckFailure(
            NON_FINITE,
            f"the {obs.status} body holds a bare {exc.constant}, which strict JSON parsers reject: "
            f"{snippet(obs.body)}",
            severity=severity,
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckFailure(
            "InvalidJson", f"the {obs.status} body is labelled JSON but is not: {exc}", severity=severity
        ) from exc


def _needs_output_schema(ctx: CheckContext) -> Optional[str]:
    if ctx.output_schema is None:
        return "no output schema: decorate run() with @output_schema, or add fixtures expecting JSON bodies"
    return _needs_valid(ctx)


@check(
    "output_schema",
    kinds=CLIENT_TIERS,
    summary="2xx bodies follow @output_schema (swagger ServiceOutput) or the shape of the fixtures' bodies",
    needs=_needs_output_schema,
)
def output_schema(ctx: CheckContext, ex: Exchange) -> None:
    obs = ex.observation
    if obs is None or not 200 <= obs.status < 300:
        return
    try:
        value = json.loads(obs.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckFailure("SchemaViolation", f"the {obs.status} body is not JSON: {exc}") from exc
    error = best_match(ctx.output_validator.iter_errors(value))
    if error is not None:
        where = format_path(list(error.absolute_path))
        message = f"{where}: {error.message} (against {ctx.output_source or 'the output schema'})"
        raise CheckFailure("SchemaViolation", message)


def _needs_budget(ctx: CheckContext) -> Optional[str]:
    if ctx.max_latency_ms is None:
        return "no latency budget: pass --max-latency-ms or give a fixture max_latency_ms"
    return _needs_valid(ctx)


@check(
    "latency",
    kinds=CLIENT_TIERS,
    summary="near and schema requests are answered within --max-latency-ms (or the fixtures' max_latency_ms); "
    "a batch over it must also be far (3x) above the linear extrapolation from the fixtures",
    needs=_needs_budget,
)
def latency(ctx: CheckContext, ex: Exchange) -> None:
    obs, limit = ex.observation, ctx.max_latency_ms
    if obs is None or limit is None or obs.status >= 500:
        return
    scaling = ctx.scaling
    items = scaling.items_of(ex.request.body) if scaling is not None and ex.request.body else None
    if scaling is not None and items is not None:
        scaling.record(items, obs.elapsed_ms)
    if obs.elapsed_ms <= limit:
        return
    message = f"answered in {obs.elapsed_ms:.0f} ms, over the {limit:g} ms budget"
    if scaling is not None and items is not None:
        expected = scaling.expected_ms(items)
        if obs.elapsed_ms <= SCALING_FACTOR * expected:
            return  # as slow as a linear cost predicts: not a step or a superlinear slowdown
        message = (
            f"a batch of {items} item(s) {message} and {obs.elapsed_ms / expected:.1f}x the linear "
            f"extrapolation from the fixtures ({expected:.0f} ms at {scaling.per_item_ms:.2f} ms per item); "
            f"{scaling.describe()}"
        )
    raise CheckFailure("LatencyExceeded", message)


@check(
    "malformed_input_rejected",
    kinds=frozenset({HOSTILE}),
    summary="hostile requests (malformed, wrong types, extreme values, corrupted uploads) get a 4xx, not a 5xx "
    "(a warning unless --hostile-severity failure)",
)
def malformed_input_rejected(ctx: CheckContext, ex: Exchange) -> None:
    obs = ex.observation
    if obs is not None and obs.status >= 500:
        converted = conversion_failure(ctx, ex)
        if converted is not None:
            raise converted
        detail = _error_text(obs, ex.log_lines)
        message = f"status {obs.status} for a hostile request, where a 4xx was expected: {detail}"
        raise CheckFailure("ServerError", message, severity=ctx.severity(ex.kind))


@check(
    "deterministic",
    default=False,
    kinds=CLIENT_TIERS,
    summary="the same input twice gives the same status and body (opt-in)",
    needs=_needs_valid,
)
def deterministic(ctx: CheckContext, ex: Exchange) -> None:
    first = ex.observation
    if first is None or first.status >= 500:
        return
    second = ctx.resend(ex.request)
    if second is None:
        return  # no answer the second time: server_survives reports that
    if first.status != second.status or _comparable(first.body) != _comparable(second.body):
        raise CheckFailure(
            "Nondeterministic",
            f"the same input gave {first.status} {snippet(first.body, 50)} "
            f"then {second.status} {snippet(second.body, 50)}",
        )


def _comparable(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body


def _needs_logs(ctx: CheckContext) -> Optional[str]:
    return None if ctx.has_logs else "no server log to read: the endpoint was given with --target"


@check(
    "server_warnings",
    summary="the server logged no production pitfall (form body, NaN, numpy result, shadowed module, config.json)",
    needs=_needs_logs,
)
def server_warnings(ctx: CheckContext, ex: Exchange) -> None:
    found = pitfalls(ex.log_lines)
    if ex.kind == HOSTILE:
        # Our own form-encoded hostile requests cause that warning; it says nothing about the script.
        found = [(name, message) for name, message in found if name != "form body"]
    if found:
        name, message = found[0]
        raise CheckFailure("ServerWarning", f"{name}: {message}", severity=WARNING)
