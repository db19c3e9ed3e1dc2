from __future__ import annotations

import json
import math
from typing import Any, List, Optional, Sequence, Tuple, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorecheck.compare import (
    WILDCARD,
    compare,
    format_mismatches,
    format_path,
    parse_path,
    summary_line,
)
from scorecheck.model import Expectation, Mismatch, Observation, Tolerance


def obs(
    body: Union[bytes, Any] = b"{}",
    status: int = 200,
    headers: Sequence[Tuple[str, str]] = (("Content-Type", "application/json"),),
    elapsed_ms: float = 10.0,
) -> Observation:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Observation(status, tuple(headers), raw, elapsed_ms, "req-1")


def expect_json(value: Any, kind: str = "json", **kwargs: Any) -> Expectation:
    return Expectation(body_kind=kind, body_value=value, **kwargs)


def messages(mismatches: List[Mismatch]) -> List[str]:
    return [m.message for m in mismatches]


# ---------------------------------------------------------------------------------------------------------------
# Status and headers


@pytest.mark.parametrize(
    ("allowed", "status", "ok"),
    [
        ((200,), 200, True),
        ((200,), 201, False),
        ((200, 201), 201, True),
        (("4xx",), 404, True),
        (("4xx",), 500, False),
        ((200, "5xx"), 503, True),
    ],
)
def test_status(allowed: Tuple[Union[int, str], ...], status: int, ok: bool) -> None:
    result = compare(Expectation(status=allowed), obs(status=status))
    assert (result == []) is ok
    if not ok:
        assert result[0].kind == "StatusMismatch"
        assert result[0].path == "status"


def test_status_message() -> None:
    [m] = compare(Expectation(status=(200, "4xx")), obs(status=500))
    assert m.message == "expected status 200 or 4xx, got 500"


def test_headers_are_a_case_insensitive_subset() -> None:
    headers = (("content-type", "application/json"), ("X-Ms-Request-Id", "abc-123"))
    expect = Expectation(
        headers=(("Content-Type", "application/json"), ("x-ms-request-id", "/^[a-z]+-\\d+$/"))
    )
    assert compare(expect, obs(headers=headers)) == []


def test_header_mismatches() -> None:
    expect = Expectation(headers=(("X-Missing", "1"), ("Content-Type", "text/plain"), ("X-Id", "/^\\d+$/")))
    result = compare(expect, obs(headers=(("Content-Type", "application/json"), ("X-Id", "abc"))))
    assert [m.path for m in result] == ["header:X-Missing", "header:Content-Type", "header:X-Id"]
    assert {m.kind for m in result} == {"HeaderMismatch"}
    assert result[0].message == "header X-Missing: expected '1', missing"
    assert result[1].message == "header Content-Type: expected 'text/plain', got 'application/json'"


def test_header_regex_is_a_search_and_repeated_headers_match_any() -> None:
    expect = Expectation(headers=(("Set-Cookie", "/b=2/"),))
    assert compare(expect, obs(headers=(("Set-Cookie", "a=1"), ("set-cookie", "x; b=2; y")))) == []


def test_bad_header_regex_from_hand_built_expectation_fails_without_raising() -> None:
    [m] = compare(Expectation(headers=(("X", "/(/"),)), obs(headers=(("X", "("),)))
    assert m.kind == "HeaderMismatch"


# ---------------------------------------------------------------------------------------------------------------
# JSON deep equality


def test_json_equal_and_key_order_irrelevant() -> None:
    assert compare(expect_json({"a": 1, "b": [1, 2]}), obs({"b": [1, 2], "a": 1})) == []


def test_json_value_difference_names_the_path() -> None:
    [m] = compare(expect_json({"output": [11.05]}), obs({"output": [11.2]}))
    assert (m.kind, m.path, m.expected, m.observed) == ("BodyMismatch", "$.output[0]", 11.05, 11.2)
    assert m.message == "$.output[0]: expected 11.05, got 11.2"


def test_type_names_shown_when_types_differ() -> None:
    [m] = compare(expect_json({"a": 11.05}), obs({"a": "11.05"}))
    assert m.message == '$.a: expected number 11.05, got string "11.05"'


def test_bool_is_never_a_number() -> None:
    assert compare(expect_json([True, 1, 0]), obs([1, True, False])) != []
    result = compare(
        expect_json([True]),
        obs([1]),
    )
    assert result[0].message == "$[0]: expected boolean true, got number 1"
    tolerant = expect_json([1], tolerance=Tolerance(abs=1.0))
    assert compare(tolerant, obs([True])) != []


def test_ints_and_floats_compare_numerically() -> None:
    assert compare(expect_json({"n": 1, "m": 2.0}), obs({"n": 1.0, "m": 2})) == []


def test_missing_and_unexpected_keys() -> None:
    result = compare(expect_json({"a": 1, "b": {"c": 2}}), obs({"a": 1, "b": {}, "z": None}))
    assert messages(result) == ["$.b.c: expected number 2, key missing", "$.z: unexpected key with null null"]


def test_array_length_difference_and_elements() -> None:
    result = compare(expect_json([1, 2, 3]), obs([1, 5]))
    assert messages(result) == ["$: expected 3 items, got 2", "$[1]: expected 2, got 5"]
    longer = compare(expect_json([1]), obs([1, 2]))
    assert messages(longer) == ["$: expected 1 items, got 2"]


def test_odd_keys_are_quoted_in_paths() -> None:
    [m] = compare(expect_json({"key with space": {"it's": 1}}), obs({"key with space": {"it's": 2}}))
    assert m.path == "$['key with space']['it\\'s']"


@pytest.mark.parametrize(
    ("expected", "observed", "tol", "ok"),
    [
        (1.0, 1.0000001, Tolerance(), False),
        (1.0, 1.0000001, Tolerance(abs=1e-6), True),
        (1.0, 1.00001, Tolerance(abs=1e-6), False),
        (1000.0, 1000.1, Tolerance(rel=1e-3), True),
        (1000.0, 1002.0, Tolerance(rel=1e-3), False),
        (0.0, 1e-9, Tolerance(rel=0.5), False),  # rel alone never accepts anything near zero, like isclose
        (0.0, 1e-9, Tolerance(abs=1e-8, rel=0.5), True),
        (10, 11, Tolerance(abs=1), True),
        (10**400, 10**400 + 1, Tolerance(rel=0.1), False),
        (10**400, 10**400, Tolerance(), True),
        (float("inf"), float("inf"), Tolerance(), True),
        (float("inf"), float("-inf"), Tolerance(abs=1e300), False),
        (float("nan"), float("nan"), Tolerance(), True),
        (float("nan"), 1.0, Tolerance(abs=1e300), False),
        (1.0, float("nan"), Tolerance(abs=1e300), False),
    ],
)
def test_tolerance(expected: Any, observed: Any, tol: Tolerance, ok: bool) -> None:
    body = json.dumps({"v": observed}).encode()
    assert (compare(expect_json({"v": expected}, tolerance=tol), obs(body)) == []) is ok


def test_tolerance_applies_to_nested_values_only_for_numbers() -> None:
    expect = expect_json({"a": [1.0, "x"], "b": {"c": 2.0}}, tolerance=Tolerance(abs=0.1))
    assert compare(expect, obs({"a": [1.05, "x"], "b": {"c": 2.09}})) == []
    assert compare(expect, obs({"a": [1.05, "y"], "b": {"c": 2.09}})) != []


def test_bare_nan_and_infinity_in_body_are_parsed_without_complaint() -> None:
    body = b'{"a": NaN, "b": Infinity, "c": -Infinity}'
    expect = expect_json({"a": float("nan"), "b": float("inf"), "c": float("-inf")})
    assert compare(expect, obs(body)) == []
    assert compare(Expectation(), obs(body)) == []


def test_non_json_body_is_one_mismatch_with_the_start_of_the_body() -> None:
    body = b"<html>" + b"x" * 500
    [m] = compare(expect_json({"a": 1}, schema={"type": "object"}), obs(body))
    assert m.kind == "BodyMismatch"
    assert m.path == "body"
    assert m.message.startswith("expected a JSON body, got '<html>xxx")
    assert m.message.endswith("'…")
    assert len(m.observed) == 200


def test_empty_and_undecodable_bodies() -> None:
    [m] = compare(expect_json(None), obs(b""))
    assert m.message == "expected a JSON body, got an empty body"
    [m] = compare(expect_json("x"), obs(b"\xff\xfe\x00"))
    assert m.kind == "BodyMismatch"


def test_json_null_expectation() -> None:
    assert compare(expect_json(None), obs(b"null")) == []
    assert compare(expect_json(None), obs(b"{}")) != []


# ---------------------------------------------------------------------------------------------------------------
# json_subset


def test_subset_allows_extra_keys_and_longer_lists() -> None:
    expect = expect_json({"output": [1, {"a": 1}]}, kind="json_subset")
    assert compare(expect, obs({"output": [1, {"a": 1, "b": 2}, 99], "extra": True})) == []


def test_subset_empty_list_only_asks_for_a_list() -> None:
    expect = expect_json({"output": []}, kind="json_subset")
    assert compare(expect, obs({"output": [1, 2]})) == []
    [m] = compare(expect, obs({"output": {}}))
    assert m.message == "$.output: expected array [], got object {}"


def test_subset_failures() -> None:
    expect = expect_json({"a": {"b": 1}, "list": [1, 2]}, kind="json_subset")
    result = compare(expect, obs({"a": {"c": 1}, "list": [1]}))
    assert messages(result) == [
        "$.a.b: expected number 1, key missing",
        "$.list: expected at least 2 items, got 1",
    ]
    wrong_element = compare(expect, obs({"a": {"b": 1}, "list": [1, 3, 2]}))
    assert messages(wrong_element) == ["$.list[1]: expected 2, got 3"]


def test_subset_with_tolerance() -> None:
    expect = expect_json({"p": [0.5]}, kind="json_subset", tolerance=Tolerance(abs=0.01))
    assert compare(expect, obs({"p": [0.505, 0.2]})) == []


# ---------------------------------------------------------------------------------------------------------------
# ignore paths


def test_ignore_paths() -> None:
    expected = {"meta": {"timestamp": 1, "v": 1}, "items": [{"id": 1, "x": 1}, {"id": 2, "x": 2}], "k s": 1}
    observed = {"meta": {"timestamp": 2, "v": 1}, "items": [{"id": 7, "x": 1}, {"id": 8, "x": 2}], "k s": 5}
    ignore = ("$.meta.timestamp", "$.items[*].id", "$['k s']")
    assert compare(expect_json(expected, ignore=ignore), obs(observed)) == []
    assert compare(expect_json(expected, ignore=ignore[:2]), obs(observed)) != []


def test_ignored_key_may_be_absent_on_either_side() -> None:
    expect = expect_json({"a": 1, "ts": 5}, ignore=("$.ts", "$.nothing.here", "$.a[3]"))
    assert compare(expect, obs({"a": 1})) == []
    assert compare(expect_json({"a": 1}, ignore=("$.ts",)), obs({"a": 1, "ts": 9})) == []


def test_ignored_list_element_keeps_later_positions() -> None:
    expect = expect_json({"items": [1, 2, 3]}, ignore=("$.items[0]",))
    [m] = compare(expect, obs({"items": [9, 2, 4]}))
    assert m.path == "$.items[2]"
    assert compare(expect_json([1, 2], ignore=("$[-1]",)), obs([1, 5])) == []


def test_ignore_wildcard_on_objects_and_root() -> None:
    assert compare(expect_json({"a": {"x": 1}}, ignore=("$.*.x",)), obs({"a": {"x": 2}})) == []
    assert compare(expect_json({"a": 1}, ignore=("$",)), obs([1, 2])) == []


def test_ignore_in_subset_and_does_not_affect_the_expectation_object() -> None:
    value = {"a": 1, "b": 2}
    expect = expect_json(value, kind="json_subset", ignore=("$.b",))
    assert compare(expect, obs({"a": 1, "b": 3})) == []
    assert value == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("$", ()),
        ("$.a.b", ("a", "b")),
        ("$.items[*].id", ("items", WILDCARD, "id")),
        ("$.items[0]", ("items", 0)),
        ("$[-1]", (-1,)),
        ("$['key with space']", ("key with space",)),
        ('$["double"].x', ("double", "x")),
        ("$['it\\'s']", ("it's",)),
        ("$.a-b.c_d", ("a-b", "c_d")),
        ("$.*", (WILDCARD,)),
    ],
)
def test_parse_path(text: str, steps: Tuple[Any, ...]) -> None:
    assert parse_path(text) == steps


@pytest.mark.parametrize(
    "text", ["", "a.b", "$.", "$..a", "$[", "$[x]", "$['open]", "$.a b", "$.a[0", "$ .a"]
)
def test_parse_path_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_path(text)


def test_format_path() -> None:
    assert format_path(("a", 0, WILDCARD, "b c", "x'y")) == "$.a[0][*]['b c']['x\\'y']"


keys = st.text(min_size=1, max_size=8)
steps = st.lists(st.one_of(keys, st.integers(-5, 50), st.just(WILDCARD)), max_size=5)


@given(steps)
def test_format_then_parse_round_trips(path: List[Any]) -> None:
    assert parse_path(format_path(path)) == tuple(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_any_json_value_matches_itself_exactly_and_as_subset(value: Any) -> None:
    body = json.dumps(value).encode()
    assert compare(expect_json(value), obs(body)) == []
    assert compare(expect_json(value, kind="json_subset"), obs(body)) == []


# ---------------------------------------------------------------------------------------------------------------
# Raw bodies, schema, latency


def test_exact_text_body() -> None:
    assert compare(Expectation(body_kind="body", body_value="Healthy"), obs(b"Healthy")) == []
    [m] = compare(Expectation(body_kind="body", body_value="Healthy"), obs(b"Sick"))
    assert m.message == 'body: expected "Healthy", got "Sick"'


def test_bytes_body() -> None:
    expect = Expectation(body_kind="body_base64", body_value=b"\x89PNG\x00")
    assert compare(expect, obs(b"\x89PNG\x00")) == []
    [m] = compare(expect, obs(b"\x89PNx"))
    assert m.message == "body: expected 5 bytes, got 4 bytes; first difference at byte 3"
    [m] = compare(Expectation(body_kind="body_file", body_value=b"abc"), obs(b"abcd"))
    assert m.message.endswith("first difference at byte 3")


def test_body_regex_is_a_search() -> None:
    assert compare(Expectation(body_kind="body_regex", body_value="^Healthy$"), obs(b"Healthy")) == []
    assert compare(Expectation(body_kind="body_regex", body_value="ealth"), obs(b"Healthy")) == []
    [m] = compare(Expectation(body_kind="body_regex", body_value="^Sick"), obs(b"Healthy"))
    assert m.message == 'body does not match /^Sick/: got "Healthy"'


SCHEMA = {
    "type": "object",
    "required": ["output"],
    "properties": {"output": {"type": "array", "items": {"type": "number"}}},
}


def test_schema_passes_and_reports_each_error_with_its_path() -> None:
    assert compare(Expectation(schema=SCHEMA), obs({"output": [1, 2.5]})) == []
    result = compare(Expectation(schema=SCHEMA), obs({"output": [1, "x", None]}))
    assert [(m.kind, m.path) for m in result] == [
        ("SchemaViolation", "$.output[1]"),
        ("SchemaViolation", "$.output[2]"),
    ]
    assert result[0].message == "$.output[1]: schema violation: 'x' is not of type 'number'"
    [m] = compare(Expectation(schema=SCHEMA), obs({}))
    assert m.path == "$"
    assert "'output' is a required property" in m.message


def test_schema_with_non_json_body() -> None:
    [m] = compare(Expectation(schema=SCHEMA), obs(b"not json"))
    assert m.kind == "BodyMismatch"


def test_schema_and_json_together() -> None:
    expect = expect_json({"output": [1]}, schema=SCHEMA)
    assert [m.kind for m in compare(expect, obs({"output": ["1"]}))] == ["BodyMismatch", "SchemaViolation"]


def test_latency() -> None:
    assert compare(Expectation(max_latency_ms=250), obs(elapsed_ms=250.0)) == []
    [m] = compare(Expectation(max_latency_ms=250), obs(elapsed_ms=251.5))
    assert (m.kind, m.path, m.message) == (
        "LatencyExceeded",
        "latency",
        "latency 251.5 ms exceeds max_latency_ms 250",
    )


def test_order_is_status_headers_body_latency() -> None:
    expect = expect_json({"a": 1}, status=(200,), headers=(("X", "1"),), max_latency_ms=1.0)
    result = compare(expect, obs({"a": 2}, status=500, elapsed_ms=5.0))
    assert [m.kind for m in result] == ["StatusMismatch", "HeaderMismatch", "BodyMismatch", "LatencyExceeded"]


# ---------------------------------------------------------------------------------------------------------------
# Presentation


def test_format_mismatches_lists_paths() -> None:
    result = compare(expect_json({"output": [11.05, 2]}), obs({"output": [11.2, "2"]}, status=500))
    assert format_mismatches(result) == (
        "expected status 200, got 500\n"
        "$.output[0]: expected 11.05, got 11.2\n"
        '$.output[1]: expected number 2, got string "2"'
    )


def test_format_mismatches_diffs_multiline_text_and_shows_bytes() -> None:
    [m] = compare(Expectation(body_kind="body", body_value="a\nb\nc"), obs(b"a\nB\nc"))
    text = format_mismatches([m])
    assert "  -b" in text
    assert "  +B" in text
    [m] = compare(Expectation(body_kind="body_base64", body_value=b"\x00\x01"), obs(b"\x00\x02"))
    assert "expected (base64): AAE=" in format_mismatches([m])


def test_format_mismatches_caps_the_list() -> None:
    result = compare(expect_json(list(range(150))), obs([-1] * 150))
    lines = format_mismatches(result).splitlines()
    assert len(lines) == 101
    assert lines[-1] == "… and 50 more mismatches"


def test_long_values_are_clipped_in_messages() -> None:
    [m] = compare(expect_json({"a": "x" * 500}), obs({"a": "y"}))
    assert len(m.message) < 150
    assert "…" in m.message


def test_summary_line() -> None:
    assert summary_line([]) == ""
    one = compare(expect_json({"a": 1}), obs({"a": 2}))
    assert summary_line(one) == "$.a: expected 1, got 2"
    many = compare(
        expect_json({"a": "x" * 300, "b": 1, "c": 1}),
        obs({"a": "y" * 300, "b": 2, "c": 2}),
    )
    line = summary_line(many)
    assert len(line) <= 200
    assert line.endswith(" (+2 more)")
    assert "\n" not in line
    huge = [Mismatch("BodyMismatch", "body", 1, 2, "z" * 500)]
    assert len(summary_line(huge)) == 200


def _first(result: List[Mismatch]) -> Optional[Mismatch]:
    return result[0] if result else None


def test_infinite_values_render_like_the_server_writes_them() -> None:
    m = _first(compare(expect_json({"a": 1.0}), obs(b'{"a": Infinity}')))
    assert m is not None
    assert m.message == "$.a: expected 1.0, got Infinity"
    assert math.isinf(m.observed)
