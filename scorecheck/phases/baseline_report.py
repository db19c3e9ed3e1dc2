"""The baseline phase's findings as report cases: changes grouped by signature, shown side by side.

A change seen on many requests is one case with a count and its first example: the request as curl (to either
server), the JSON path, the baseline's and the candidate's value, and both answers in two columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

from ..accepted_changes import FIELDS, Signature
from ..behaviour import MISSING, Answer, Difference, parse_json
from ..compare import render
from ..model import plural
from .baseline_plan import Planned

COLUMN = 56  # characters of each column of the side-by-side view
SHOWN_LINES = 40  # lines of each answer in the side-by-side view
VALUE_SHOWN = 120


@dataclass(frozen=True)
class Example:
    """The first request a change was seen on, with both answers and a curl for each server."""

    planned: Planned
    difference: Difference
    baseline: Answer
    candidate: Answer
    baseline_curl: str
    candidate_curl: str


@dataclass
class Seen:
    example: Example
    count: int = 1  # requests it was seen on
    last: int = 0  # the ordinal of the last such request (a change at $.result[*] shows on several items)


@dataclass
class ChangeLog:
    """Changes by signature, in the order they were first seen."""

    changes: Dict[Signature, Seen] = field(default_factory=dict)

    def add(self, endpoint: str, request: int, example: Example) -> None:
        """Count `example`'s change once for the `request`-th request compared."""
        diff = example.difference
        signature = Signature(endpoint, diff.kind, diff.path, diff.description)
        seen = self.changes.get(signature)
        if seen is None:
            self.changes[signature] = Seen(example, last=request)
        elif seen.last != request:
            seen.count += 1
            seen.last = request


def endpoint(spec_method: str, spec_path: str) -> str:
    return f"{spec_method} {spec_path.split('?', 1)[0]}"


def value(found: Any) -> str:
    return "(missing)" if found is MISSING else render(found, VALUE_SHOWN)


def summary(signature: Signature, seen: Seen, compared: int) -> str:
    """One line: what changed, where, how often, and the first example's two values."""
    diff = seen.example.difference
    where = f" at {signature.path}" if signature.path.startswith("$") else ""
    what = f"{signature.kind} " if signature.path == signature.kind else ""
    return (
        f"{what}{signature.change}{where} on {seen.count} of {plural(compared, 'request')}: "
        f"baseline {value(diff.baseline)}, candidate {value(diff.candidate)}"
    )


def details(signature: Signature, seen: Seen, compared: int, accept_hint: Sequence[str]) -> str:
    ex = seen.example
    diff = ex.difference
    request = ex.planned.request
    lines = [
        f"behaviour change: {signature.text}",
        f"seen on {seen.count} of {plural(compared, 'request')} compared; the first:",
        "",
        f"request:    {request.method} {request.path} ({ex.planned.source})",
        f"baseline:   {ex.baseline_curl}",
        f"candidate:  {ex.candidate_curl}",
        f"JSON path:  {diff.where}" if diff.where.startswith("$") else f"compared:   {diff.where}",
        f"baseline value:   {value(diff.baseline)}",
        f"candidate value:  {value(diff.candidate)}",
        "",
        *side_by_side(ex.baseline, ex.candidate),
    ]
    return "\n".join([*lines, "", *accept_hint])


def entry_text(signature: Signature) -> List[str]:
    """The signature as an entry of the accepted-changes file."""
    first, *rest = FIELDS
    lines = [f"  - {first}: {_yaml(getattr(signature, first))}"]
    return lines + [f"    {name}: {_yaml(getattr(signature, name))}" for name in rest]


def _yaml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


# ---------------------------------------------------------------------------------------------------------------
# Side by side


def side_by_side(baseline: Answer, candidate: Answer) -> List[str]:
    """Both answers in two columns; `|` marks the lines that differ."""
    left, right = _lines(baseline), _lines(candidate)
    heads = (_head("baseline", baseline), _head("candidate", candidate))
    rows = [f"  {heads[0]:<{COLUMN}}   {heads[1]}"]
    count = max(len(left), len(right))
    for index in range(min(count, SHOWN_LINES)):
        one = left[index] if index < len(left) else ""
        two = right[index] if index < len(right) else ""
        mark = " " if one == two else "|"
        rows.append(f"  {_clip(one):<{COLUMN}} {mark} {_clip(two)}".rstrip())
    if count > SHOWN_LINES:
        rows.append(f"  … {count - SHOWN_LINES} more line(s)")
    return rows


def _head(name: str, answer: Answer) -> str:
    media = f" {answer.content_type}" if answer.content_type else ""
    return f"{name} ({answer.shown_status}{media})"


def _lines(answer: Answer) -> Tuple[str, ...]:
    if answer.status is None:
        return ("(no response)",)
    if not answer.body:
        return ("(empty body)",)
    parsed = parse_json(answer.body)
    if parsed is not MISSING:
        return tuple(json.dumps(parsed, indent=2, ensure_ascii=False).splitlines())
    return tuple(answer.body.decode("utf-8", errors="backslashreplace").splitlines())


def _clip(text: str) -> str:
    return text if len(text) <= COLUMN else text[: COLUMN - 1] + "…"
