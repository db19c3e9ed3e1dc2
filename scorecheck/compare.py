"""Match an observed response against a fixture's expectation and describe every difference by path.

`compare` never raises for a bad response: anything the server sent is turned into `Mismatch`es. JSON paths in
mismatches use the same syntax that `ignore:` accepts (`$.output[0]`, `$['key with space']`).
"""

from __future__ import annotations

import base64
import difflib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .model import Expectation, Mismatch, Observation, Tolerance
from .volatile import DEFAULT_IGNORE, request_ids, volatile_paths

# ----------------------------------------------------------------------------------------------------
# The tiny JSONPath subset used by `ignore:`: `$`, `.name`, `.*`, `[3]`, `[*]`, `['quoted key']`.


@dataclass(frozen=True)
class Wildcard:
    pass


WILDCARD = Wildcard()
Step = Union[str, int, Wildcard]

_NAME = re.compile(r"[^.\[\]\s'\"]+")
_INDEX = re.compile(r"\[(-?\d+)\]")
_QUOTED = re.compile(r"""\[(['"])((?:\\.|(?!\1).)*)\1\]""", re.DOTALL)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def parse_path(text: str) -> Tuple[Step, ...]:
    """Parse `text` into steps; raise ValueError naming the position of the first unsupported token."""
    if not text.startswith("$"):
        raise ValueError(f"path {text!r} must start with '$'")
    steps: List[Step] = []
    pos = 1
    while pos < len(text):
        step, pos = _parse_step(text, pos)
        steps.append(step)
    return tuple(steps)


def _parse_step(text: str, pos: int) -> Tuple[Step, int]:
    rest = text[pos:]
    if rest.startswith(".*"):
        return WILDCARD, pos + 2
    if rest.startswith("[*]"):
        return WILDCARD, pos + 3
    if rest.startswith(".") and not rest.startswith(".."):
        name = _NAME.match(text, pos + 1)
        if name:
            return name.group(), name.end()
    index = _INDEX.match(text, pos)
    if index:
        return int(index.group(1)), index.end()
    quoted = _QUOTED.match(text, pos)
    if quoted:
        return re.sub(r"\\(.)", r"\1", quoted.group(2), flags=re.DOTALL), quoted.end()
    raise ValueError(
        f"path {text!r}: unsupported syntax at position {pos} ({rest[:10]!r}); "
        "use .name, ['name'], [0], [*] or .*"
    )


def format_path(steps: Sequence[Step]) -> str:
    parts = ["$"]
    for step in steps:
        if isinstance(step, Wildcard):
            parts.append("[*]")
        elif isinstance(step, int):
            parts.append(f"[{step}]")
        elif _PLAIN_KEY.fullmatch(step):
            parts.append(f".{step}")
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


class _Ignored:
    """Stands in for an ignored list element so that later indices keep their positions in the diff."""

    def __repr__(self) -> str:
        return "<ignored>"


_IGNORED = _Ignored()


def _apply_ignore(value: Any, steps: Sequence[Step]) -> Any:
    """Return a copy of `value` with the node(s) at `steps` left out (keys removed, list items masked)."""
    if not steps:
        return _IGNORED
    step, rest = steps[0], steps[1:]
    if isinstance(value, dict):
        keys = list(value) if isinstance(step, Wildcard) else [step] if isinstance(step, str) else []
        out = dict(value)
        for key in keys:
            if key in out:
                if rest:
                    out[key] = _apply_ignore(out[key], rest)
                else:
                    del out[key]
        return out
    if isinstance(value, list):
        items = list(value)
        if isinstance(step, Wildcard):
            indices = range(len(items))
        elif isinstance(step, int) and -len(items) <= step < len(items):
            indices = range(step % len(items), step % len(items) + 1)
        else:
            indices = range(0)
        for i in indices:
            items[i] = _apply_ignore(items[i], rest)
        return items
    return value


# ----------------------------------------------------------------------------------------------------
# Value comparison


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value; users read these in diffs, not Python class names."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    for cls, name in _JSON_TYPES:
        if isinstance(value, cls):
            return name
    return type(value).__name__


_JSON_TYPES = ((type(None), "null"), (str, "string"), (list, "array"), (dict, "object"))


def numbers_match(expected: Union[int, float], observed: Union[int, float], tol: Tolerance) -> bool:
    """Numeric equality with math.isclose semantics; NaN matches NaN so recorded NaNs replay."""
    nans = [isinstance(n, float) and math.isnan(n) for n in (expected, observed)]
    if any(nans):
        return all(nans)
    if expected == observed:
        return True
    if tol.abs == 0 and tol.rel == 0:
        return False
    try:
        return math.isclose(float(expected), float(observed), rel_tol=tol.rel, abs_tol=tol.abs)
    except OverflowError:
        return False


def render(value: Any, limit: int = 80) -> str:
    """A short JSON-looking rendering of a value for one-line messages."""
    if isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: Any) -> str:
    return f"{json_type(value)} {render(value)}"


def _value_mismatch(path: Tuple[Step, ...], expected: Any, observed: Any) -> Mismatch:
    where = format_path(path)
    if json_type(expected) != json_type(observed):
        text = f"{where}: expected {_describe(expected)}, got {_describe(observed)}"
    else:
        text = f"{where}: expected {render(expected)}, got {render(observed)}"
    return Mismatch("BodyMismatch", where, expected, observed, text)


def _scalar_diff(path: Tuple[Step, ...], expected: Any, observed: Any, tol: Tolerance) -> Iterator[Mismatch]:
    if json_type(expected) != json_type(observed):
        yield _value_mismatch(path, expected, observed)
    elif json_type(expected) == "number":
        if not numbers_match(expected, observed, tol):
            yield _value_mismatch(path, expected, observed)
    elif expected != observed:
        yield _value_mismatch(path, expected, observed)


def diff_json(
    expected: Any, observed: Any, tol: Tolerance, subset: bool = False, path: Tuple[Step, ...] = ()
) -> Iterator[Mismatch]:
    """Yield a mismatch per differing path. `subset`: extra keys and trailing list items are allowed."""
    if expected is _IGNORED or observed is _IGNORED:
        return
    if isinstance(expected, dict) and isinstance(observed, dict):
        yield from _diff_objects(expected, observed, tol, subset, path)
    elif isinstance(expected, list) and isinstance(observed, list):
        yield from _diff_arrays(expected, observed, tol, subset, path)
    else:
        yield from _scalar_diff(path, expected, observed, tol)


def _diff_objects(
    expected: Dict[str, Any], observed: Dict[str, Any], tol: Tolerance, subset: bool, path: Tuple[Step, ...]
) -> Iterator[Mismatch]:
    for key, value in expected.items():
        where = (*path, key)
        if key not in observed:
            text = f"{format_path(where)}: expected {_describe(value)}, key missing"
            yield Mismatch("BodyMismatch", format_path(where), value, None, text)
        else:
            yield from diff_json(value, observed[key], tol, subset, where)
    if subset:
        return
    for key, value in observed.items():
        if key not in expected:
            where = (*path, key)
            text = f"{format_path(where)}: unexpected key with {_describe(value)}"
            yield Mismatch("BodyMismatch", format_path(where), None, value, text)


def _diff_arrays(
    expected: List[Any], observed: List[Any], tol: Tolerance, subset: bool, path: Tuple[Step, ...]
) -> Iterator[Mismatch]:
    short = len(observed) < len(expected)
    if short or (not subset and len(observed) != len(expected)):
        least = "at least " if subset else ""
        text = f"{format_path(path)}: expected {least}{len(expected)} items, got {len(observed)}"
        yield Mismatch("BodyMismatch", format_path(path), len(expected), len(observed), text)
    for i, (exp, obs) in enumerate(zip(expected, observed)):
        yield from diff_json(exp, obs, tol, subset, (*path, i))


# ----------------------------------------------------------------------------------------------------
# The checks of one expectation


def compare(
    expect: Expectation, obs: Observation, default_ignore: Sequence[str] = DEFAULT_IGNORE
) -> List[Mismatch]:
    """Every way `obs` violates `expect`, in a stable order: status, headers, body, schema, latency.

    `default_ignore` paths are left out of every JSON comparison, as are volatile values (`volatile.py`).
    """
    mismatches = list(_check_status(expect.status, obs.status))
    mismatches.extend(_check_headers(expect.headers, obs.headers))
    needs_json = expect.body_kind in ("json", "json_subset") or expect.schema is not None
    parsed = _parse_json(obs.body) if needs_json else None
    if parsed is _NOT_JSON:
        mismatches.append(_not_json(obs.body))
    else:
        mismatches.extend(_check_body(expect, obs, parsed, default_ignore))
        if expect.schema is not None:
            mismatches.extend(_check_schema(expect.schema, parsed))
    if expect.max_latency_ms is not None and obs.elapsed_ms > expect.max_latency_ms:
        text = f"latency {obs.elapsed_ms:.1f} ms exceeds max_latency_ms {expect.max_latency_ms:g}"
        mismatches.append(Mismatch("LatencyExceeded", "latency", expect.max_latency_ms, obs.elapsed_ms, text))
    return mismatches


def status_allowed(allowed: Sequence[Union[int, str]], status: int) -> bool:
    for item in allowed:
        if isinstance(item, int) and item == status:
            return True
        if isinstance(item, str) and str(status)[:1] == item[:1] and len(str(status)) == 3:
            return True
    return False


def _check_status(allowed: Sequence[Union[int, str]], status: int) -> Iterator[Mismatch]:
    if not status_allowed(allowed, status):
        text = f"expected status {' or '.join(str(s) for s in allowed)}, got {status}"
        yield Mismatch("StatusMismatch", "status", list(allowed), status, text)


def is_regex_value(value: str) -> bool:
    return len(value) >= 2 and value.startswith("/") and value.endswith("/")


def _check_headers(
    expected: Sequence[Tuple[str, str]], observed: Sequence[Tuple[str, str]]
) -> Iterator[Mismatch]:
    for name, want in expected:
        values = [v for k, v in observed if k.lower() == name.lower()]
        where = f"header:{name}"
        if not values:
            yield Mismatch("HeaderMismatch", where, want, None, f"header {name}: expected {want!r}, missing")
            continue
        if not any(_header_matches(want, v) for v in values):
            got = values[0] if len(values) == 1 else values
            text = f"header {name}: expected {want!r}, got {got!r}"
            yield Mismatch("HeaderMismatch", where, want, got, text)


def _header_matches(want: str, value: str) -> bool:
    if not is_regex_value(want):
        return want == value
    try:
        return re.search(want[1:-1], value) is not None
    except re.error:
        return False  # the loader rejects bad patterns; a hand-built Expectation just fails to match


class _NotJson:
    pass


_NOT_JSON = _NotJson()


def _parse_json(body: bytes) -> Any:
    # Python's json accepts bare NaN/Infinity; strictness about them is the property checks' business.
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _not_json(body: bytes) -> Mismatch:
    head = body[:200].decode("utf-8", errors="backslashreplace")
    more = "…" if len(body) > 200 else ""
    shown = f"{head!r}{more}" if body else "an empty body"
    return Mismatch("BodyMismatch", "body", "a JSON body", head, f"expected a JSON body, got {shown}")


def _without_ignored(expected: Any, observed: Any, paths: Sequence[str], obs: Observation) -> Tuple[Any, Any]:
    steps = [parse_path(text) for text in paths]
    steps += list(volatile_paths(expected, observed, request_ids(obs)))
    for path in steps:
        expected, observed = _apply_ignore(expected, path), _apply_ignore(observed, path)
    return expected, observed


def _check_body(
    expect: Expectation, obs: Observation, parsed: Any, default_ignore: Sequence[str]
) -> Iterator[Mismatch]:
    kind, value, body = expect.body_kind, expect.body_value, obs.body
    if kind in ("json", "json_subset"):
        paths = (*default_ignore, *expect.ignore)
        expected, observed = _without_ignored(value, parsed, paths, obs)
        yield from diff_json(expected, observed, expect.tolerance, subset=kind == "json_subset")
    elif kind == "body":
        text = body.decode("utf-8", errors="replace")
        if text != value:
            yield Mismatch("BodyMismatch", "body", value, text, _text_message(str(value), text))
    elif kind in ("body_base64", "body_file"):
        if body != value:
            yield Mismatch("BodyMismatch", "body", value, body, _bytes_message(bytes(value), body))
    elif kind == "body_regex":
        text = body.decode("utf-8", errors="replace")
        if not re.search(str(value), text):
            message = f"body does not match /{value}/: got {render(text)}"
            yield Mismatch("BodyMismatch", "body", value, text, message)


def _text_message(expected: str, observed: str) -> str:
    return f"body: expected {render(expected)}, got {render(observed)}"


def _bytes_message(expected: bytes, observed: bytes) -> str:
    common = min(len(expected), len(observed))
    at = next((i for i, (a, b) in enumerate(zip(expected, observed)) if a != b), common)
    return f"body: expected {len(expected)} bytes, got {len(observed)} bytes; first difference at byte {at}"


def _check_schema(schema: Any, instance: Any) -> Iterator[Mismatch]:
    from jsonschema.validators import validator_for

    validator = validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        where = format_path(tuple(error.absolute_path))
        message = f"{where}: schema violation: {error.message}"
        yield Mismatch("SchemaViolation", where, error.schema, error.instance, one_line(message))


# ----------------------------------------------------------------------------------------------------
# Presenting mismatches

MAX_LISTED = 100


def one_line(text: str) -> str:
    # Not str.split(): it also eats control characters such as \x1c that the JUnit writer must keep visible.
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip(" ")


def format_mismatches(mismatches: Sequence[Mismatch]) -> str:
    """A readable, path-level diff: one line per mismatch, plus a text diff or base64 view for raw bodies."""
    lines: List[str] = []
    for mismatch in mismatches[:MAX_LISTED]:
        lines.append(mismatch.message)
        lines.extend(_body_detail(mismatch))
    if len(mismatches) > MAX_LISTED:
        lines.append(f"… and {len(mismatches) - MAX_LISTED} more mismatches")
    return "\n".join(lines)


def _body_detail(mismatch: Mismatch) -> List[str]:
    if mismatch.kind != "BodyMismatch" or mismatch.path != "body":
        return []
    expected, observed = mismatch.expected, mismatch.observed
    if isinstance(expected, str) and isinstance(observed, str) and ("\n" in expected or "\n" in observed):
        diff = difflib.unified_diff(
            expected.splitlines(), observed.splitlines(), "expected", "observed", lineterm=""
        )
        return ["  " + line for line in diff]
    if isinstance(expected, bytes) and isinstance(observed, bytes):
        return [
            f"  expected (base64): {_clip(base64.b64encode(expected).decode())}",
            f"  observed (base64): {_clip(base64.b64encode(observed).decode())}",
        ]
    return []


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_line(mismatches: Sequence[Mismatch], limit: int = 200) -> str:
    """One line (≤ `limit` chars) for a JUnit message: the first mismatch, and how many more there are."""
    if not mismatches:
        return ""
    first = one_line(mismatches[0].message)
    if len(mismatches) == 1:
        return _clip(first, limit)
    suffix = f" (+{len(mismatches) - 1} more)"
    return _clip(first, limit - len(suffix)) + suffix


def first_kind(mismatches: Sequence[Mismatch]) -> Optional[str]:
    """The category of the most important mismatch (the first), for a JUnit `type`."""
    return mismatches[0].kind if mismatches else None
