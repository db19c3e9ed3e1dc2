"""Hypothesis strategies for the requests the property phase sends: the schema tier, and the entry points the
pytest plugin shares (valid and malformed requests).

The schema tier draws from the declared input schema (`@input_schema`, or `--input-schema` for an undecorated
script) with hypothesis-jsonschema, with magnitudes kept realistic unless the schema itself bounds them, and with
numbers mixed in from the range the fixtures show at the same path: a value the script validates stays inside its
range often enough for the script's own logic to be reached. The near tier is `near.py`, the hostile one
`hostile.py`.
"""

from __future__ import annotations

import json
from typing import Any, List, Mapping, Optional, Sequence

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..model import Case, RequestSpec
from .hostile import malformed_requests
from .inputmodel import ROOT, InputModel, child, from_bodies
from .near import Near, json_request
from .schemas import generation_schema, input_schema_from_swagger, validator

__all__ = [
    "fixture_bodies",
    "fixture_raw_requests",
    "input_schema_from_swagger",
    "json_request",
    "malformed_requests",
    "near_tier",
    "schema_values",
    "succeeding_cases",
    "valid_requests",
]


# ---------------------------------------------------------------------------------------------------------------
# Valid requests


def near_tier(cases: Sequence[Case], path: str = "/score", max_batch: Optional[int] = None) -> Near:
    """The near tier from the fixtures that POST to `path` and expect a 2xx answer."""
    return Near(from_bodies(fixture_bodies(cases, path)), path, fixture_raw_requests(cases, path), max_batch)


def valid_requests(
    input_schema: Optional[Mapping[str, Any]], cases: Sequence[Case], path: str = "/score"
) -> SearchStrategy[RequestSpec]:
    """Requests valid for the script; `st.nothing()` when there is neither a schema nor a fixture to learn from.

    A decorated script's input schema is its contract, so it decides (the schema tier); without one, the
    fixtures' requests with near mutations stand in for it.
    """
    near = near_tier(cases, path)
    if input_schema is not None:
        return schema_requests(input_schema, near.model, path)
    return near.strategy()


def schema_requests(
    input_schema: Mapping[str, Any], model: Optional[InputModel], path: str = "/score"
) -> SearchStrategy[RequestSpec]:
    return schema_values(generation_schema(input_schema), model).map(lambda value: json_request(path, value))


_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties", "description", "title"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems", "description", "title"})


def schema_values(
    schema: Mapping[str, Any], model: Optional[InputModel] = None, path: str = ROOT
) -> SearchStrategy[Any]:
    """Values valid against `schema`, from hypothesis-jsonschema, with the fixtures' numbers mixed in.

    Objects are built here: hypothesis-jsonschema 0.23 draws them through a Hypothesis internal that current
    Hypothesis releases no longer have. inference-schema's objects are plain (properties, required, closed),
    so fixed dictionaries express them exactly; anything more exotic is filtered against the schema.
    """
    observed = _observed_numbers(schema, model, path)
    if observed is not None:
        return observed
    array = schema.get("type") == "array" and isinstance(schema.get("items"), Mapping)
    if array and (model is not None or _mentions_object(schema)):
        return _checked(schema, _ARRAY_KEYS, _array_values(schema, model, path))
    if not _mentions_object(schema):
        return _from_schema(schema)
    if schema.get("type") == "object":
        return _checked(schema, _OBJECT_KEYS, _object_values(schema, model, path))
    alternatives = [schema_values(sub, model, path) for sub in schema.get("anyOf", [])]
    return _checked(schema, frozenset(), st.one_of(alternatives))


def _observed_numbers(
    schema: Mapping[str, Any], model: Optional[InputModel], path: str
) -> Optional[SearchStrategy[Any]]:
    """A number leaf the fixtures also show: the schema's values, or one within the fixtures' range."""
    info = model.paths.get(path) if model is not None else None
    if info is None or not info.numeric or info.minimum is None or info.maximum is None:
        return None
    if schema.get("type") not in ("number", "integer"):
        return None
    if schema["type"] == "integer" or info.integral:
        near = st.integers(int(info.minimum), int(info.maximum))
    else:
        near: SearchStrategy[Any] = st.floats(info.minimum, info.maximum)  # type: ignore[no-redef]
    return st.one_of(_from_schema(schema), near.filter(validator(schema).is_valid))


def _from_schema(schema: Mapping[str, Any]) -> SearchStrategy[Any]:
    # Imported here: importing it writes hypothesis' unicode cache, which must go where the CLI has put
    # hypothesis' home (never a `.hypothesis/` folder in the user's directory).
    from hypothesis_jsonschema import from_schema

    return from_schema(dict(schema))


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


def _array_values(schema: Mapping[str, Any], model: Optional[InputModel], path: str) -> SearchStrategy[Any]:
    items = schema_values(schema["items"], model, child(path, None))
    return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems"))


def _object_values(schema: Mapping[str, Any], model: Optional[InputModel], path: str) -> SearchStrategy[Any]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required", ()))
    values = {name: schema_values(sub, model, child(path, name)) for name, sub in properties.items()}
    fixed = {name: v for name, v in values.items() if name in required}
    optional = {name: v for name, v in values.items() if name not in required}
    drawn = st.fixed_dictionaries(fixed, optional=optional)
    if schema.get("additionalProperties", True) is False or properties:
        return drawn
    # An open object without declared properties: any small JSON object.
    return st.dictionaries(st.text(max_size=10), _scalars(), max_size=5)


def _scalars() -> SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(-1e6, 1e6), st.text(max_size=10)
    )


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
        and (case.request.body is not None or case.request.files)
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


def fixture_raw_requests(cases: Sequence[Case], path: str = "/score") -> List[RequestSpec]:
    """The fixtures' non-JSON requests (a `@rawhttp` script's images, CSV, bytes, multipart uploads), as sent."""
    requests = [case.request for case in succeeding_cases(cases, path)]
    return [
        r
        for r in requests
        if r.files or (r.body_source in ("body", "body_base64", "body_file") and json_body(r) is None)
    ]
