"""Payload strategies and the schemas behind them: valid means valid for the script, malformed means refusable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import seed as seed_
from hypothesis import strategies as st
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType

from scorecheck.fixtures.load import load_fixtures
from scorecheck.model import Case, RequestSpec
from scorecheck.phases import near as near_module
from scorecheck.phases.hostile import broken_json_body, hostile_requests
from scorecheck.phases.near import Near
from scorecheck.phases.schemas import generation_schema, infer_schema, output_schema_from_swagger, validator
from scorecheck.phases.strategies import (
    fixture_bodies,
    fixture_raw_requests,
    input_schema_from_swagger,
    json_request,
    malformed_requests,
    near_tier,
    valid_requests,
)
from tests.scorecheck.sc_support import write

# What the server answers for the housing example (the AzureML contract §10; inference-schema's numpy type).
HOUSING_INPUT: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "number", "format": "double"}},
            "format": "numpy.ndarray",
        }
    },
    "example": {"data": [[3.0, 70.0, 20.0, 5.0]]},
}
UNDECORATED = {"type": "object", "example": {}}
QUICK = settings(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))
# `find` without shrinking: the tests only ask whether such an example exists. Derandomized, so whether 500
# examples reach it is decided once, not anew (and now and then differently) on every run.
FIND = settings(QUICK, max_examples=500, phases=[Phase.generate], derandomize=True)


def _swagger(service_input: Any, service_output: Any = UNDECORATED) -> Dict[str, Any]:
    return {"components": {"schemas": {"ServiceInput": service_input, "ServiceOutput": service_output}}}


def _cases(tmp_path: Path, files: Dict[str, str]) -> List[Case]:
    for name, text in files.items():
        write(tmp_path / "cases" / name, text)
    cases, errors = load_fixtures([tmp_path / "cases"])
    assert not errors
    return cases


def _requests(strategy: st.SearchStrategy[RequestSpec], count: int = 60) -> List[RequestSpec]:
    seen: List[RequestSpec] = []

    @QUICK
    @given(strategy)
    def collect(request: RequestSpec) -> None:
        seen.append(request)

    collect()
    return seen[:count]


def _bodies(strategy: st.SearchStrategy[RequestSpec], count: int = 60) -> List[bytes]:
    return [request.body or b"" for request in _requests(strategy, count)]


def _example(strategy: st.SearchStrategy[RequestSpec], condition: Callable[[Any], bool]) -> Any:
    found = find(strategy, lambda r: condition(json.loads(r.body or b"null")), settings=FIND)
    return json.loads(found.body or b"null")


# -- schemas ----------------------------------------------------------------------------------------------------


def test_swagger_input_schema_or_none_for_an_undecorated_script() -> None:
    assert input_schema_from_swagger(_swagger(HOUSING_INPUT)) == HOUSING_INPUT
    assert input_schema_from_swagger(_swagger(UNDECORATED)) is None
    assert input_schema_from_swagger({}) is None
    output = {
        "type": "object",
        "properties": {"p": {"type": "number", "example": 1.0}},
        "example": {"p": 1.0},
    }
    assert output_schema_from_swagger(_swagger(UNDECORATED, output)) == {
        "type": "object",
        "properties": {"p": {"type": "number"}},
    }
    assert output_schema_from_swagger(_swagger(UNDECORATED)) is None


def test_generation_schema_narrows_inference_schema_samples() -> None:
    schema = generation_schema(
        {
            "type": "object",
            "properties": {
                "data": HOUSING_INPUT["properties"]["data"],
                "count": {"type": "integer", "format": "int64"},
                "format": {"type": "string"},  # a parameter called `format` is a property, not a keyword
                "request_headers": {},
            },
            "example": {"data": [[1.0, 2.0, 3.0, 4.0]], "count": 1, "format": "x"},
        }
    )
    rows = schema["properties"]["data"]
    assert (rows["minItems"], rows["items"]["minItems"], rows["items"]["maxItems"]) == (1, 4, 4)
    assert "format" not in rows
    # int64 allows 2**63, but no client sends it: unbounded by the schema itself, magnitudes stay realistic.
    assert (schema["properties"]["count"]["minimum"], schema["properties"]["count"]["maximum"]) == (
        -(10**6),
        10**6,
    )
    assert schema["properties"]["format"] == {"type": "string"}
    assert "request_headers" not in schema["properties"]
    assert schema["additionalProperties"] is False


def test_every_schema_example_converts_through_inference_schema() -> None:
    """No false alarm from the generator itself: what it calls valid, the numpy decorator accepts."""
    parameter = NumpyParameterType(np.array([[3.0, 70.0, 20.0, 5.0]]))
    schema = generation_schema(HOUSING_INPUT)
    check = validator(schema)
    for body in _bodies(valid_requests(HOUSING_INPUT, [])):
        value = json.loads(body)
        assert check.is_valid(value), value
        if "data" in value:
            assert parameter.deserialize_input(value["data"]).shape[1:] == (4,)


def test_objects_are_generated_although_hypothesis_jsonschema_cannot() -> None:
    schema = {
        "type": "object",
        "properties": {
            "rows": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}}
        },
        "example": {"rows": [{"a": 1}]},
    }
    found = _example(valid_requests(schema, []), lambda v: bool(v.get("rows")) and "a" in v["rows"][0])
    assert isinstance(found["rows"][0]["a"], int)


def test_inferred_output_schema_is_lenient_about_what_fixtures_leave_out() -> None:
    schema = infer_schema([{"p": [1.5], "v": "1"}, {"p": [2], "extra": True}])
    assert schema is not None
    check = validator(schema)
    assert check.is_valid({"p": [], "v": None})
    assert check.is_valid({"p": [3]})
    assert not check.is_valid({"p": ["x"]})
    assert not check.is_valid({"v": "1"})  # `p` is in every fixture body
    assert infer_schema([]) is None


# -- valid requests from fixtures ------------------------------------------------------------------------------

FIXTURES = {
    "one.yaml": 'request: {json: {"data": [[1, 2.5]], "mode": "fast"}}\nexpect: {json: {"out": [1.0]}}\n',
    "two.yaml": 'request: {json: {"data": [[3, 4.0]]}}\nexpect: {status: 200}\n',
    "bad.yaml": 'request: {json: {"rows": 1}}\nexpect: {status: 400}\n',
    "get.yaml": "request: {method: GET, path: /}\nexpect: {status: 200}\n",
}


def test_fixture_requests_are_mutated_within_their_shape(tmp_path: Path) -> None:
    cases = _cases(tmp_path, FIXTURES)
    assert fixture_bodies(cases) == [{"data": [[1, 2.5]], "mode": "fast"}, {"data": [[3, 4.0]]}]
    strategy = valid_requests(None, cases)
    for body in _bodies(strategy):
        value = json.loads(body)
        assert set(value) <= {"data", "mode"}  # never `rows`: that fixture expects a 4xx
        assert isinstance(value["data"], list)
        # Near the fixtures: boundaries, sign flips, x10 and /10 of what they send (up to three mutations, which
        # may land on one number: 4.0 x10 x10 x10), never 2**63 noise.
        assert all(isinstance(x, (int, float)) and abs(x) <= 4000 for row in value["data"] for x in row)
        assert all(len(row) == 2 for row in value["data"])  # the rows keep their width
    assert _example(strategy, lambda v: v["data"] == [])["data"] == []
    assert "mode" not in _example(strategy, lambda v: "mode" not in v)
    assert _example(strategy, lambda v: v.get("mode") == "")["mode"] == ""


def test_json_recorded_as_exact_text_feeds_the_near_tier(tmp_path: Path) -> None:
    # `record` keeps a JSON input as its exact text in `body:`; the property phase must still learn from it,
    # and must not treat it as an opaque raw body.
    text = "request: {headers: {Content-Type: application/json}, body: '{\"data\": [[1, 2.5]]}'}\n"
    cases = _cases(tmp_path, {"recorded.yaml": text + "expect: {status: 200}\n"})
    assert fixture_bodies(cases) == [{"data": [[1, 2.5]]}]
    assert fixture_raw_requests(cases) == []


def test_generated_json_is_serialised_like_a_fixture() -> None:
    request = json_request("/score", {"text": "é"})
    assert request.body == '{"text": "é"}'.encode()
    assert (request.method, request.path, request.body_source) == ("POST", "/score", "json")


def test_binary_fixtures_are_sent_as_recorded_and_corrupted_only_as_hostile(tmp_path: Path) -> None:
    cases = _cases(
        tmp_path,
        {
            "img.yaml": "request: {headers: {Content-Type: image/png}, body_base64: iVBORw0K}\nexpect: {status: 200}\n"
        },
    )
    near = near_tier(cases)
    assert {r.body for r in _requests(valid_requests(None, cases))} == {b"\x89PNG\r\n"}  # base64 iVBORw0K
    png = b"\x89PNG\r\n"
    hostile = hostile_requests(near, "/score")
    truncated = find(
        hostile, lambda r: bool(r.body) and png.startswith(r.body) and r.body != png, settings=FIND
    )
    assert dict(truncated.headers) == {"Content-Type": "image/png"}
    relabelled = find(hostile, lambda r: r.body == png and dict(r.headers) != {"Content-Type": "image/png"})
    assert dict(relabelled.headers) == {"Content-Type": "text/plain"}


def test_no_source_of_valid_input_gives_an_empty_strategy(tmp_path: Path) -> None:
    assert valid_requests(None, []).is_empty
    assert valid_requests(None, _cases(tmp_path, {"bad.yaml": FIXTURES["bad.yaml"]})).is_empty


# -- malformed requests ------------------------------------------------------------------------------------------


def _well_formed(request: RequestSpec) -> bool:
    """A UTF-8 JSON object labelled application/json: what a decorated script must accept."""
    content_type = dict(request.headers).get("Content-Type", "")
    try:
        value = json.loads((request.body or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return content_type == "application/json" and isinstance(value, dict) and "NaN" not in repr(value)


# The dangerous texts are those that complete the opening `{` into a JSON object: the rest of a serialised
# object is exactly such a completion. Arbitrary text covers the rest.
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_COMPLETIONS = st.dictionaries(st.text(max_size=5), _JSON_VALUES, max_size=3).map(
    lambda obj: json.dumps(obj)[1:]
)


@settings(max_examples=200, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(_COMPLETIONS, st.text(max_size=30)))
def test_broken_json_bodies_never_parse(text: str) -> None:
    body = broken_json_body(text)
    assert body.startswith(b"{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body.decode("utf-8"))


def test_malformed_requests_are_never_well_formed() -> None:
    seen = []

    @settings(max_examples=200, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(malformed_requests("/score"))
    def check(request: RequestSpec) -> None:
        assert request.method == "POST"
        assert request.path == "/score"
        assert not _well_formed(request), request
        seen.append(request)

    check()
    kinds = {dict(r.headers).get("Content-Type") for r in seen}
    assert {None, "application/json", "text/plain"} <= kinds
    assert any(not r.body for r in seen)
    assert any(len(r.body or b"") >= 64 * 1024 for r in seen)


# Batches and numbers, no optional key: hypothesis labels a sampled key mutation by the identity of its objects,
# so with a key to drop the two strategies draw the same kinds of bodies but not the same sequence.
BATCHES = {
    "a.yaml": 'request: {json: {"data": [[1, 2.5], [0.5, 3]], "scale": 2}}\nexpect: {status: 200}\n',
    "b.yaml": 'request: {json: {"data": [[3, 4.0]], "scale": 1}}\nexpect: {status: 200}\n',
}


def _drawn(strategy: st.SearchStrategy[RequestSpec], seed: int) -> List[bytes]:
    seen: List[bytes] = []

    @settings(QUICK, max_examples=150, phases=[Phase.generate])
    @given(strategy)
    def collect(request: RequestSpec) -> None:
        seen.append(request.body or b"")

    seed_(seed)(collect)()
    return seen


def test_mutation_strategies_are_built_once_per_body_without_changing_the_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    near = near_tier(_cases(tmp_path, BATCHES))
    body = near.model.bodies[0]
    assert near.mutation(body) is near.mutation(json.loads(json.dumps(body)))
    assert near.mutation({"data": [[1, 2.5]], "scale": 2}) is not near.mutation(
        {"data": [[1, 2.5]], "scale": 2.0}
    )
    cached = [_drawn(near_tier(_cases(tmp_path, BATCHES)).strategy(), seed) for seed in (1, 2)]
    # Built anew for every draw, as before the cache: the very same examples, seed by seed.
    monkeypatch.setattr(Near, "mutation", near_module._one_mutation)
    fresh = [_drawn(near_tier(_cases(tmp_path, BATCHES)).strategy(), seed) for seed in (1, 2)]
    assert cached == fresh
    assert len(set(cached[0])) > 20  # the search did explore


def test_large_bodies_are_kept_fewer_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each kept strategy holds its body: the cache is bounded by its keys' text, not only by their number.
    near = near_tier(_cases(tmp_path, BATCHES))
    first, second = near.model.bodies[0], near.model.bodies[1]
    monkeypatch.setattr(near_module, "KEPT_KEY_CHARS", len(repr(first)) + 1)
    kept = near.mutation(first)
    assert near.mutation(first) is kept
    near.mutation(second)  # over the budget: what was kept is let go
    assert near.mutation(first) is not kept
