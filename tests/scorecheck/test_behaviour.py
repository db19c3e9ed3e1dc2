"""Two answers to the same request: which differences are behaviour changes, and how they are named."""

from __future__ import annotations

import json
from typing import Any, List, Tuple

import pytest

from scorecheck.behaviour import (
    MISSING,
    Answer,
    Difference,
    Rules,
    answer_of,
    differences,
    no_answer,
    varying,
)
from scorecheck.model import Observation, Tolerance


def ok(body: Any, status: int = 200, media: str = "application/json", ids: Tuple[str, ...] = ()) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Answer(status, media, data, ids)


def kinds(found: List[Difference]) -> List[Tuple[str, str, str]]:
    return [(d.kind, d.path, d.description) for d in found]


def test_identical_answers_have_no_difference() -> None:
    assert differences(ok({"a": [1, 2]}), ok({"a": [1, 2]}), Rules()) == []


def test_a_renamed_key_is_one_difference() -> None:
    (diff,) = differences(ok({"result": [1.5], "v": 1}), ok({"prediction": [1.5], "v": 1}), Rules())
    assert (diff.kind, diff.path, diff.description) == ("key_renamed", "$.result", "renamed to $.prediction")
    assert (diff.baseline, diff.candidate) == ([1.5], [1.5])


def test_keys_gone_and_new_with_other_values_are_reported_apart() -> None:
    found = differences(ok({"a": 1, "b": 2}), ok({"c": 3, "d": 4}), Rules())
    assert sorted(d.kind for d in found) == ["key_added", "key_added", "key_removed", "key_removed"]
    assert next(d for d in found if d.path == "$.a").candidate is MISSING


def test_list_indices_become_wildcards_in_the_signature_only() -> None:
    found = differences(ok({"r": [1.2345, 2.0, 3.4567]}), ok({"r": [1.23, 2.0, 3.46]}), Rules())
    assert [(d.path, d.where) for d in found] == [("$.r[*]", "$.r[0]"), ("$.r[*]", "$.r[2]")]
    assert {d.description for d in found} == {"the number changed beyond the tolerance"}


@pytest.mark.parametrize(("tolerance", "changed"), [(Tolerance(), True), (Tolerance(abs=0.01), False)])
def test_numbers_match_within_the_tolerance(tolerance: Tolerance, changed: bool) -> None:
    found = differences(ok({"r": 1.2345}), ok({"r": 1.23}), Rules(tolerance))
    assert bool(found) is changed


def test_a_status_change_hides_the_body_differences() -> None:
    found = differences(ok({"r": 1}), ok({"message": "no"}, status=400), Rules())
    assert kinds(found) == [("status", "status", "200 became 400")]


def test_no_response_is_a_status_change() -> None:
    (diff,) = differences(ok({"r": 1}), no_answer("Timeout: no response"), Rules())
    assert diff.description == "200 became no response (Timeout: no response)"


def test_content_type_parameters_are_normalised() -> None:
    def answer(name: str, value: str) -> Answer:
        return answer_of(Observation(200, ((name, value),), b"{}", 1.0, "sc-1"), ("sc-1",))

    left = answer("Content-Type", "application/json; charset=utf-8")
    assert differences(left, answer("content-type", "application/json;charset=UTF-8"), Rules()) == []
    changed = differences(left, answer("Content-Type", "text/plain"), Rules())
    assert kinds(changed) == [
        ("content_type", "content_type", "application/json; charset=utf-8 became text/plain")
    ]


def test_type_and_length_changes() -> None:
    found = differences(ok({"r": [1, 2], "n": 1}), ok({"r": [1], "n": "1"}), Rules())
    assert kinds(found) == [
        ("length_changed", "$.r", "the array's length changed"),
        ("type_changed", "$.n", "a number became a string"),
    ]


def test_ignored_paths_and_request_ids_are_left_out() -> None:
    base = ok({"r": 1, "id": "sc-1", "meta": {"t": 1}}, ids=("sc-1",))
    cand = ok({"r": 1, "id": "sc-2", "meta": {"t": 2, "extra": 0}}, ids=("sc-2",))
    assert differences(base, cand, Rules(ignore=("$.meta",))) == []


def test_a_varying_value_is_not_compared_but_its_key_still_is() -> None:
    rules = Rules(varying=("$.sample",))
    assert differences(ok({"r": 1, "sample": 0.1}), ok({"r": 1, "sample": 0.9}), rules) == []
    (diff,) = differences(ok({"r": 1}), ok({"r": 1, "sample": 0.9}), rules)
    assert (diff.kind, diff.path) == ("key_added", "$.sample")


def test_bodies_that_are_not_json_compare_as_bytes() -> None:
    (diff,) = differences(ok(b"fine", media="text/plain"), ok(b"Fine", media="text/plain"), Rules())
    assert (diff.kind, diff.path) == ("body", "body")
    assert (
        differences(ok(b"a", media="text/plain"), ok(b"b", media="text/plain"), Rules(varying=("body",)))
        == []
    )
    (diff,) = differences(ok({"r": 1}), ok(b"r=1"), Rules())
    assert (diff.kind, diff.description) == ("not_json", "the candidate's body is not JSON")


def test_what_varies_between_two_answers_of_one_server() -> None:
    paths, status_varies = varying(ok({"r": [1, 2], "s": 0.3}), ok({"r": [1, 2], "s": 0.7}))
    assert (paths, status_varies) == (["$.s"], False)
    assert varying(ok({"r": 1}), ok({"r": 1}, status=500)) == ([], True)
