"""Compare two servers' answers to the same request: every difference by kind and JSON path.

The baseline phase sends each request to the released script and to the candidate; this module says how their
answers differ. A difference carries a signature that does not depend on the request it was seen on (list
indices become `[*]`, values stay out of the description), so one renamed key seen on 300 requests is one
behaviour change. Status first: when the statuses differ, the bodies differ as a consequence and are not
compared. Numbers match within the source fixture's tolerance; ignored paths (the fixture's `ignore`, the
default volatile list, values `volatile.py` recognises, fields seen to vary) are left out. Nothing here does I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .compare import WILDCARD, Step, Wildcard, format_path, json_type, numbers_match, parse_path
from .model import Observation, Tolerance
from .volatile import volatile_paths

MISSING = object()  # a key one side does not have
Pattern = Tuple[Step, ...]


@dataclass(frozen=True)
class Answer:
    """What one server answered: its status (None: no response), content type and body."""

    status: Optional[int]
    content_type: str
    body: bytes
    ids: Tuple[str, ...] = ()  # this request's ids (sent and echoed), volatile by nature
    error: str = ""  # why there was no response

    @property
    def shown_status(self) -> str:
        return str(self.status) if self.status is not None else f"no response ({self.error})"


def answer_of(obs: Observation, ids: Sequence[str]) -> Answer:
    media = next((value for name, value in obs.headers if name.lower() == "content-type"), "")
    return Answer(obs.status, _media(media), obs.body, tuple(ids))


def no_answer(error: str) -> Answer:
    return Answer(None, "", b"", error=error)


def _media(value: str) -> str:
    """`application/json; charset=utf-8` and `application/json;charset=UTF-8` are the same content type."""
    parts = [part.strip().lower() for part in value.split(";") if part.strip()]
    return "; ".join(parts)


@dataclass(frozen=True)
class Difference:
    """One way the candidate's answer differs from the baseline's."""

    kind: str  # status, content_type, not_json, body, key_removed, key_added, key_renamed, type_changed,
    # value_changed, length_changed
    path: str  # the JSON path with list indices as [*] ("status", "header:content-type", "body" otherwise)
    description: str  # short and value-free, so that the same change reads the same on every request
    where: str  # the concrete path on this request ($.result[2])
    baseline: Any
    candidate: Any


@dataclass(frozen=True)
class Rules:
    """How closely two answers to one request must agree."""

    tolerance: Tolerance = field(default_factory=Tolerance)
    ignore: Tuple[str, ...] = ()  # JSON paths (with [*] or .*) left out, as a fixture's `ignore:` writes them
    # Paths whose values were seen to vary between two identical requests ("body" for a non-JSON body): their
    # values are not compared, but a key that one server always sends and the other never does still is.
    varying: Tuple[str, ...] = ()


def differences(base: Answer, cand: Answer, rules: Rules) -> List[Difference]:
    """Every difference between the two answers, status first."""
    if base.status != cand.status:
        return [
            Difference(
                "status",
                "status",
                f"{base.shown_status} became {cand.shown_status}",
                "status",
                base.status,
                cand.status,
            )
        ]
    found: List[Difference] = []
    if base.content_type != cand.content_type:
        description = f"{base.content_type or '(none)'} became {cand.content_type or '(none)'}"
        found.append(
            Difference(
                "content_type",
                "content_type",
                description,
                "content_type",
                base.content_type,
                cand.content_type,
            )
        )
    return found + _body_differences(base, cand, rules)


def _body_differences(base: Answer, cand: Answer, rules: Rules) -> List[Difference]:
    if base.body == cand.body:
        return []
    left, right = parse_json(base.body), parse_json(cand.body)
    if left is MISSING or right is MISSING:
        if "body" in rules.varying:
            return []
        if left is MISSING and right is MISSING:
            return [Difference("body", "body", "the body's bytes differ", "body", base.body, cand.body)]
        which = "the baseline's" if left is MISSING else "the candidate's"
        description = f"{which} body is not JSON"
        return [Difference("not_json", "body", description, "body", base.body, cand.body)]
    ignore: List[Pattern] = [parse_path(text) for text in rules.ignore]
    ignore += list(volatile_paths(left, right, (*base.ids, *cand.ids)))
    vary = [parse_path(text) for text in rules.varying if text.startswith("$")]
    return list(_walk(left, right, (), rules.tolerance, _Masks(ignore, vary)))


def parse_json(body: bytes) -> Any:
    """The parsed body, or MISSING when it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return MISSING


# ---------------------------------------------------------------------------------------------------------------
# JSON


def generic(where: Sequence[Step]) -> str:
    """The path with every list index as [*]: the same field on every request."""
    return format_path(tuple(WILDCARD if isinstance(step, int) else step for step in where))


def matches(where: Sequence[Step], pattern: Sequence[Step]) -> bool:
    """Whether a concrete path falls under an ignore pattern (the pattern's node or anything below it)."""
    if len(pattern) > len(where):
        return False
    return all(p == w or isinstance(p, Wildcard) for p, w in zip(pattern, where))


@dataclass(frozen=True)
class _Masks:
    ignore: Sequence[Pattern]  # left out entirely
    vary: Sequence[Pattern]  # values not compared

    def ignored(self, where: Sequence[Step]) -> bool:
        return any(matches(where, pattern) for pattern in self.ignore)

    def varies(self, where: Sequence[Step]) -> bool:
        return any(matches(where, pattern) for pattern in self.vary)

    def hides_key(self, where: Sequence[Step]) -> bool:
        """A key is left out when ignored or inside a varying value, not when it is the varying value."""
        inside = any(len(p) < len(where) and matches(where, p) for p in self.vary)
        return inside or self.ignored(where)


NO_MASKS = _Masks((), ())


def _difference(kind: str, where: Tuple[Step, ...], description: str, base: Any, cand: Any) -> Difference:
    return Difference(kind, generic(where), description, format_path(where), base, cand)


def _walk(
    base: Any, cand: Any, where: Tuple[Step, ...], tol: Tolerance, masks: _Masks
) -> Iterator[Difference]:
    if masks.ignored(where):
        return
    if isinstance(base, dict) and isinstance(cand, dict):
        yield from _objects(base, cand, where, tol, masks)
    elif isinstance(base, list) and isinstance(cand, list):
        if len(base) != len(cand) and not masks.varies(where):
            yield _difference("length_changed", where, "the array's length changed", len(base), len(cand))
        for index, (left, right) in enumerate(zip(base, cand)):
            yield from _walk(left, right, (*where, index), tol, masks)
    elif masks.varies(where):
        return
    elif json_type(base) != json_type(cand):
        description = f"a {json_type(base)} became a {json_type(cand)}"
        yield _difference("type_changed", where, description, base, cand)
    elif json_type(base) == "number":
        if not numbers_match(base, cand, tol):
            yield _difference("value_changed", where, "the number changed beyond the tolerance", base, cand)
    elif base != cand:
        yield _difference("value_changed", where, f"the {json_type(base)} changed", base, cand)


def _objects(
    base: Dict[str, Any], cand: Dict[str, Any], where: Tuple[Step, ...], tol: Tolerance, masks: _Masks
) -> Iterator[Difference]:
    kept = [(*where, key) for key in base if key not in cand and not masks.hides_key((*where, key))]
    added = [(*where, key) for key in cand if key not in base and not masks.hides_key((*where, key))]
    for old, new in _renames(base, cand, kept, added, tol):
        kept.remove(old)
        added.remove(new)
        description = f"renamed to {format_path(new)}"
        yield _difference("key_renamed", old, description, base[str(old[-1])], cand[str(new[-1])])
    for old in kept:
        yield _difference("key_removed", old, "the key is gone", base[str(old[-1])], MISSING)
    for new in added:
        yield _difference("key_added", new, "a new key", MISSING, cand[str(new[-1])])
    for key, value in base.items():
        if key in cand:
            yield from _walk(value, cand[key], (*where, key), tol, masks)


def _renames(
    base: Dict[str, Any],
    cand: Dict[str, Any],
    removed: Sequence[Tuple[Step, ...]],
    added: Sequence[Tuple[Step, ...]],
    tol: Tolerance,
) -> List[Tuple[Tuple[Step, ...], Tuple[Step, ...]]]:
    """A key gone and a key new holding the same value were renamed; so are the only one of each."""
    pairs = []
    free = list(added)
    for old in removed:
        same = [new for new in free if _same(base[str(old[-1])], cand[str(new[-1])], tol)]
        if same:
            pairs.append((old, same[0]))
            free.remove(same[0])
    left = [old for old in removed if all(old != pair[0] for pair in pairs)]
    if len(left) == 1 and len(free) == 1:
        pairs.append((left[0], free[0]))
    return pairs


def _same(base: Any, cand: Any, tol: Tolerance) -> bool:
    return not any(True for _ in _walk(base, cand, (), tol, NO_MASKS))


def varying(first: Answer, second: Answer) -> Tuple[List[str], bool]:
    """What differs between two answers of one server to the same request: the JSON paths (or "body"), and
    whether the status itself varies (then nothing about the request can be compared)."""
    if first.status != second.status:
        return [], True
    found = differences(first, second, Rules())
    return sorted(
        {d.path for d in found if d.kind not in ("content_type", "key_added", "key_removed")}
    ), False
