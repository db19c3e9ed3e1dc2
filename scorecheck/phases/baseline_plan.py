"""What the baseline phase sends to both servers: every fixture request, then the near tier's deterministic
requests (the sweep's single mutations and the first rungs of each batch ladder), up to a budget.

Each request comes with the rules its two answers are compared by: a fixture request with its own tolerance and
`ignore:` paths, a near-tier request with the loosest tolerance and every ignore path of the fixtures the near
tier is built from (the fixtures posting to the scoring path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..behaviour import Rules
from ..config import RunConfig, load_input_schema, response_ignore
from ..model import Case, RequestSpec, Tolerance
from .inputmodel import apply_schema
from .near import Probe
from .properties import score_path
from .strategies import near_tier, succeeding_cases

LADDER_RUNGS = 2  # of each batch ladder's rungs above one item: the deterministic first ones


@dataclass(frozen=True)
class Planned:
    """One request to send to both servers, where it comes from, and how its answers are compared."""

    request: RequestSpec
    source: str  # "fixture <name>" or "near tier (...)"
    rules: Rules


@dataclass(frozen=True)
class Plan:
    requests: Tuple[Planned, ...]
    available: int  # how many there were before the budget cut the list


def plan(config: RunConfig, cases: Sequence[Case], budget: int) -> Plan:
    """The requests in the order they are sent: fixtures first, then the near tier; duplicates once."""
    found = [*_fixture_requests(config, cases), *_near_requests(config, cases)]
    seen: Dict[str, bool] = {}
    unique: List[Planned] = []
    for item in found:
        key = _identity(item.request)
        if not seen.get(key):
            seen[key] = True
            unique.append(item)
    return Plan(tuple(unique[:budget]), len(unique))


def _identity(spec: RequestSpec) -> str:
    return repr((spec.method, spec.path, spec.query, spec.headers, spec.body, spec.form, spec.files))


def _fixture_requests(config: RunConfig, cases: Sequence[Case]) -> List[Planned]:
    ignore = response_ignore(config)
    return [
        Planned(
            case.request, f"fixture {case.name}", Rules(case.expect.tolerance, (*ignore, *case.expect.ignore))
        )
        for case in cases
        if case.skip is None
    ]


def _near_requests(config: RunConfig, cases: Sequence[Case]) -> List[Planned]:
    path = score_path(cases)
    near = near_tier(cases, path, config.max_batch)
    if config.input_schema is not None:
        apply_schema(near.model, load_input_schema(config.input_schema))
    rules = _loosest(config, succeeding_cases(cases, path))
    rungs: Dict[str, int] = {}
    planned = []
    for probe in near.sweep():
        if probe.group:
            rungs[probe.group] = rungs.get(probe.group, 0) + 1
            if rungs[probe.group] > LADDER_RUNGS:
                continue
        planned.append(Planned(probe.request, _describe(probe, near.model.items_of), rules))
    return planned


def _describe(probe: Probe, items_of: Callable[[bytes], Optional[int]]) -> str:
    if probe.group:
        count = items_of(probe.request.body or b"")
        return f"near tier, batch ladder: {count} item(s) at {probe.group.split(' ', 1)[-1]}"
    return "near tier: a fixture request with one mutation"


def _loosest(config: RunConfig, cases: Sequence[Case]) -> Rules:
    """The widest tolerance and every ignore path of the fixtures a near-tier request is made from."""
    tolerance = Tolerance(
        max((c.expect.tolerance.abs for c in cases), default=0.0),
        max((c.expect.tolerance.rel for c in cases), default=0.0),
    )
    ignore = {path: True for c in cases for path in c.expect.ignore}
    return Rules(tolerance, (*response_ignore(config), *ignore))
