"""Hypothesis strategies for scoring requests: valid ones (from the input schema and the fixtures' shapes) and
malformed ones.

"Valid" means valid for the script: against its `@input_schema` when it has one, otherwise shaped like the
requests its fixtures send successfully (same keys and types, varied values: empty and huge lists, boundary
numbers, zeros, negatives, unicode, nulls for keys the fixtures leave out). Malformed requests are what a
correct script is allowed to refuse with a 4xx: broken JSON, wrong or missing Content-Type, empty, binary and
non-UTF-8 bodies, oversized bodies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..model import Case, RequestSpec
from .schemas import generation_schema, input_schema_from_swagger, validator

__all__ = [
    "fixture_bodies",
    "fixture_raw_requests",
    "fixture_shaped",
    "input_schema_from_swagger",
    "json_request",
    "malformed_requests",
    "schema_values",
    "succeeding_cases",
    "valid_requests",
]

JSON_TYPE = "application/json"
# The boundaries scoring code trips over: int32/int64/float64 limits, 2**53 (where floats stop counting).
BOUNDARY_INTS = (
    0,
    -1,
    1,
    2**31 - 1,
    -(2**31),
    2**53,
    -(2**53),
    2**63 - 1,
    -(2**63),
    2**64,
    10**30,
    -(10**30),
)
BOUNDARY_FLOATS = (0.0, -0.0, 5e-324, 1e-300, 0.1, 1e16, 1.7976931348623157e308, -1.7976931348623157e308)
ODD_TEXT = ("", " ", "0", "-1", "null", "NaN", "é", "\u00a0", "\u202e", "\U0001f600", "\x00", "a" * 10_000)
OVERSIZED = (64 * 1024, 512 * 1024, 2 * 1024 * 1024)  # bytes; well below the 100 MB an AzureML proxy accepts


# ---------------------------------------------------------------------------------------------------------------
# Valid requests


def json_request(path: str, value: Any) -> RequestSpec:
    """A POST of `value` as JSON, serialised exactly as a fixture's `json:` is, so a saved failure replays it."""
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return RequestSpec(method="POST", path=path, body=body, body_source="json")


def valid_requests(
    input_schema: Optional[Mapping[str, Any]], cases: Sequence[Case], path: str = "/score"
) -> SearchStrategy[RequestSpec]:
    """Requests valid for the script; `st.nothing()` when there is neither a schema nor a fixture to learn from.

    A decorated script's input schema is its contract, so it alone decides; the fixtures' shapes stand in for
    it when `run()` has no `@input_schema`.
    """
    if input_schema is not None:
        return schema_values(generation_schema(input_schema)).map(partial(json_request, path))
    shaped = fixture_shaped(fixture_bodies(cases, path))
    options = [shaped.map(partial(json_request, path))] if shaped is not None else []
    raw = fixture_raw_requests(cases, path)
    options += [raw] if raw is not None else []
    return st.one_of(options) if options else st.nothing()


_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties", "description", "title"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems", "description", "title"})


def schema_values(schema: Mapping[str, Any]) -> SearchStrategy[Any]:
    """Values valid against `schema`, from hypothesis-jsonschema.

    Objects are built here: hypothesis-jsonschema 0.23 draws them through a Hypothesis internal that current
    Hypothesis releases no longer have. inference-schema's objects are plain (properties, required, closed),
    so fixed dictionaries express them exactly; anything more exotic is filtered against the schema.
    """
    # Imported here: importing it writes hypothesis' unicode cache, which must go to the search's private
    # storage (search.private_storage), not a `.hypothesis/` folder in the user's directory.
    from hypothesis_jsonschema import from_schema

    if not _mentions_object(schema):
        return from_schema(dict(schema))
    if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
        return _checked(schema, _ARRAY_KEYS, _array_values(schema))
    if schema.get("type") == "object":
        return _checked(schema, _OBJECT_KEYS, _object_values(schema))
    return _checked(schema, frozenset(), st.one_of([schema_values(sub) for sub in schema.get("anyOf", [])]))


def _mentions_object(schema: Any) -> bool:
    if isinstance(schema, Mapping):
        return schema.get("type") == "object" or any(_mentions_object(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions_object(item) for item in schema)
    return False


def _checked(
    schema: Mapping[str, Any], handled: frozenset[str], values: SearchStrategy[Any]
) -> SearchStrategy[Any]:
    return values if set(schema) <= handled else values.filter(validator(schema).is_valid)


def _array_values(schema: Mapping[str, Any]) -> SearchStrategy[Any]:
    items = schema_values(schema["items"])
    return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems"))


def _object_values(schema: Mapping[str, Any]) -> SearchStrategy[Any]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required", ()))
    fixed = {name: schema_values(sub) for name, sub in properties.items() if name in required}
    optional = {name: schema_values(sub) for name, sub in properties.items() if name not in required}
    values = st.fixed_dictionaries(fixed, optional=optional)
    if schema.get("additionalProperties", True) is False or properties:
        return values
    # An open object without declared properties: any small JSON object.
    return st.dictionaries(st.text(max_size=10), _scalars(), max_size=5)


def _succeeds(case: Case) -> bool:
    return all(200 <= s < 300 if isinstance(s, int) else s.lower() == "2xx" for s in case.expect.status)


def succeeding_cases(cases: Sequence[Case], path: str = "/score") -> List[Case]:
    """The fixtures that POST a body to `path` and expect a 2xx answer: what the script accepts."""
    return [
        case
        for case in cases
        if case.skip is None
        and case.request.method == "POST"
        and case.request.path.split("?", 1)[0] == path
        and case.request.body is not None
        and _succeeds(case)
    ]


def json_body(request: RequestSpec) -> Optional[Any]:
    """The parsed JSON body of a fixture request (`json:`, or JSON text recorded as `body:`), else None."""
    if request.body is None or request.body_source not in ("json", "body"):
        return None
    media = next((v for k, v in request.headers if k.lower() == "content-type"), "")
    if request.body_source == "body" and media.split(";", 1)[0].strip().lower() != "application/json":
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None


def fixture_bodies(cases: Sequence[Case], path: str = "/score") -> List[Any]:
    """The JSON bodies of the fixtures that POST to `path` and expect a 2xx answer."""
    bodies = [json_body(case.request) for case in succeeding_cases(cases, path)]
    return [body for body in bodies if body is not None]


def fixture_raw_requests(
    cases: Sequence[Case], path: str = "/score"
) -> Optional[SearchStrategy[RequestSpec]]:
    """New bodies for the fixtures' non-JSON requests (a `@rawhttp` script's images, CSV, bytes), same headers."""
    requests = [case.request for case in succeeding_cases(cases, path)]
    raw = ("body", "body_base64", "body_file")
    templates = [r for r in requests if r.body_source in raw and json_body(r) is None]
    if not templates:
        return None
    options = []
    for template in templates[:5]:
        longest = max(64, 2 * len(template.body or b""))
        if template.body_source == "body":
            bodies = st.text(max_size=longest).map(lambda text: text.encode("utf-8"))
        else:
            bodies = st.binary(max_size=longest)
        options.append(bodies.map(partial(_body, template)))
    return st.one_of(options)


def _body(template: RequestSpec, body: bytes) -> RequestSpec:
    return replace(template, body=body)


@dataclass
class Shape:
    """What the fixtures show at one position of their bodies, merged over every body."""

    kinds: Set[str] = field(default_factory=set)  # "null", "bool", "int", "float", "str", "list", "dict"
    items: Optional[Shape] = None
    lengths: Set[int] = field(default_factory=set)  # of the lists seen here
    keys: Dict[str, Shape] = field(default_factory=dict)
    present: Dict[str, int] = field(default_factory=dict)  # key -> number of objects holding it
    objects: int = 0

    def add(self, value: Any) -> None:
        self.kinds.add(_kind(value))
        if isinstance(value, list):
            self.lengths.add(len(value))
            for item in value:
                self.items = self.items or Shape()
                self.items.add(item)
        elif isinstance(value, dict):
            self.objects += 1
            for key, sub in value.items():
                self.keys.setdefault(key, Shape()).add(sub)
                self.present[key] = self.present.get(key, 0) + 1


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "bool"
    for cls, name in ((int, "int"), (float, "float"), (list, "list"), (dict, "dict")):
        if isinstance(value, cls):
            return name
    return "str"


def fixture_shaped(bodies: Sequence[Any]) -> Optional[SearchStrategy[Any]]:
    """Values with the fixtures' keys and types and new contents; None without any body to learn from."""
    if not bodies:
        return None
    shape = Shape()
    for body in bodies:
        shape.add(body)
    return _from_shape(shape, batch=True)


def _from_shape(shape: Shape, batch: bool) -> SearchStrategy[Any]:
    """`batch`: a list here is the outermost one, the batch a scoring request carries."""
    kinds = sorted(shape.kinds, key=_KIND_ORDER.index)
    return st.one_of([_KIND_STRATEGIES[kind](shape, batch) for kind in kinds])


def _integers(shape: Shape, batch: bool) -> SearchStrategy[Any]:
    return st.one_of(st.integers(-10, 10), st.sampled_from(BOUNDARY_INTS), st.integers())


def _floats(shape: Shape, batch: bool) -> SearchStrategy[Any]:
    finite = st.floats(allow_nan=False, allow_infinity=False)
    return st.one_of(finite, st.sampled_from(BOUNDARY_FLOATS))


def _texts(shape: Shape, batch: bool) -> SearchStrategy[Any]:
    return st.one_of(st.text(max_size=40), st.sampled_from(ODD_TEXT))


def _lists(shape: Shape, batch: bool) -> SearchStrategy[Any]:
    items = _from_shape(shape.items, batch=False) if shape.items is not None else _scalars()
    longest = max(shape.lengths, default=0)
    # Any short length, empty included (first: hypothesis shrinks towards the first branch, so a failure
    # shrinks to its shortest list), the recorded lengths (a row of 4 features mostly stays 4 wide) and,
    # for the batch itself, long ones: slow or memory-hungry scripts only show on big batches.
    options = [st.lists(items, max_size=max(8, 2 * longest))]
    options += [st.lists(items, min_size=n, max_size=n) for n in sorted(shape.lengths)[:3]]
    if batch:
        options.append(st.lists(items, min_size=max(16, 2 * longest), max_size=max(64, 4 * longest)))
    return st.one_of(options)


def _objects(shape: Shape, batch: bool) -> SearchStrategy[Any]:
    required = {k: _from_shape(s, batch) for k, s in shape.keys.items() if _required(shape, k)}
    # A key some fixtures leave out (or set to null) is optional: it may be missing or null.
    optional = {
        k: st.one_of(st.none(), _from_shape(s, batch))
        for k, s in shape.keys.items()
        if not _required(shape, k)
    }
    return st.fixed_dictionaries(required, optional=optional)


def _required(shape: Shape, key: str) -> bool:
    return shape.present[key] == shape.objects and "null" not in shape.keys[key].kinds


def _scalars() -> SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
    )


_KIND_ORDER = ("dict", "list", "str", "float", "int", "bool", "null")
_KIND_STRATEGIES: Dict[str, Callable[[Shape, bool], SearchStrategy[Any]]] = {
    "dict": _objects,
    "list": _lists,
    "str": _texts,
    "float": _floats,
    "int": _integers,
    "bool": lambda shape, batch: st.booleans(),
    "null": lambda shape, batch: st.none(),
}


# ---------------------------------------------------------------------------------------------------------------
# Malformed requests


def _raw(path: str, body: bytes, content_type: Optional[str]) -> RequestSpec:
    headers = (("Content-Type", content_type),) if content_type is not None else ()
    return RequestSpec(method="POST", path=path, headers=headers, body=body, body_source="body")


_BROKEN_JSON = (
    b"{",
    b'{"data": [1, 2',
    b"{'data': [1]}",
    b'{"data": [1,]}',
    b'{"data" [1]}',
    b'{"data": [1]} trailing',
    b"NaN",
    b"undefined",
    b"\xef\xbb\xbf{}",
)
_NOT_OBJECTS = (b"[]", b"null", b"1", b'"text"', b"true", b"[[1, 2, 3]]")
_OTHER_TYPES = (
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
)


def broken_json_body(text: str) -> bytes:
    """An object opened with `{` whose last character is `,`: never JSON, whatever `text` holds.

    A JSON text that starts with `{` must end with `}` (and white space); `"{" + text` alone is valid for
    `text == "}"`, which once made a "malformed" example well-formed.
    """
    return ("{" + text + ",").encode("utf-8")


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body.decode("utf-8")), dict)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return False


def _broken_json(path: str) -> SearchStrategy[RequestSpec]:
    generated = st.text(max_size=30).map(broken_json_body)
    bodies = st.one_of(st.sampled_from(_BROKEN_JSON + _NOT_OBJECTS), generated)
    return bodies.map(lambda body: _raw(path, body, JSON_TYPE))


def _wrong_type(path: str) -> SearchStrategy[RequestSpec]:
    types = st.one_of(st.sampled_from(_OTHER_TYPES), st.none())  # None: no Content-Type at all
    return st.builds(lambda ct: _raw(path, b'{"data": [[1, 2, 3]]}', ct), types)


def _empty(path: str) -> SearchStrategy[RequestSpec]:
    return st.sampled_from((JSON_TYPE, None)).map(lambda ct: _raw(path, b"", ct))


def _binary(path: str) -> SearchStrategy[RequestSpec]:
    types = st.sampled_from((JSON_TYPE, "application/octet-stream", "image/png"))
    # Random bytes can spell a JSON object (`{}`); such a body is no longer malformed.
    bodies = st.binary(min_size=1, max_size=256).filter(lambda body: not _is_json_object(body))
    return st.builds(lambda body, ct: _raw(path, body, ct), bodies, types)


def _not_utf8(path: str) -> SearchStrategy[RequestSpec]:
    texts = st.sampled_from(('{"data": "café"}', '{"data": ["naïve", "ß"]}'))
    encodings = st.sampled_from(("latin-1", "utf-16", "cp1252"))
    return st.builds(lambda t, e: _raw(path, t.encode(e), JSON_TYPE), texts, encodings)


def _oversized(path: str) -> SearchStrategy[RequestSpec]:
    # Cut off before the closing brackets, so the body is invalid JSON whatever the script expects.
    return st.sampled_from(OVERSIZED).map(
        lambda size: _raw(path, b'{"data": [' + b"1, " * (size // 3), JSON_TYPE)
    )


def malformed_requests(path: str = "/score") -> SearchStrategy[RequestSpec]:
    """Requests a correct script may refuse (4xx) but must not crash on."""
    return st.one_of(
        _broken_json(path), _wrong_type(path), _empty(path), _binary(path), _not_utf8(path), _oversized(path)
    )
