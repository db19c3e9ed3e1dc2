"""Volatile response fields: the default ignore paths, and request ids and present-moment timestamps by value."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Tuple

from scorecheck.compare import compare
from scorecheck.model import Expectation, Observation
from scorecheck.volatile import volatile_paths

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)


def _obs(body: Any, *headers: Tuple[str, str], request_id: str = "sc-new") -> Observation:
    return Observation(200, headers, json.dumps(body).encode(), 1.0, request_id)


def test_the_unified_duration_is_ignored_by_default_only() -> None:
    expect = Expectation(body_kind="json", body_value={"result": True, "metadata": {"duration": 1.7}})
    obs = _obs({"result": True, "metadata": {"duration": 0.3}})
    assert compare(expect, obs) == []
    assert [m.path for m in compare(expect, obs, default_ignore=())] == ["$.metadata.duration"]


def test_request_ids_are_recognised_wherever_they_are() -> None:
    expected = {"rows": [{"trace": "sc-old", "v": 1}], "server": "abc-old"}
    observed = {"rows": [{"trace": "sc-new", "v": 1}], "server": "abc-new"}
    paths = volatile_paths(expected, observed, ("sc-new", "abc-new"), NOW)
    assert list(paths) == [("rows", 0, "trace"), ("server",)]
    expect = Expectation(body_kind="json", body_value=expected)
    assert compare(expect, _obs(observed, ("x-ms-request-id", "abc-new"))) == []
    # Any other difference still fails, also one that merely looks like an id.
    assert len(compare(expect, _obs({**observed, "server": "abc-other"}))) == 1


def test_only_timestamps_of_the_present_replace_timestamps() -> None:
    recorded = "2026-11-01T09:00:00.123456"
    fresh = (NOW - timedelta(minutes=1)).isoformat()
    assert list(volatile_paths({"at": recorded}, {"at": fresh}, (), NOW)) == [("at",)]
    assert list(volatile_paths({"at": recorded}, {"at": "2026-12-05T10:01:00Z"}, (), NOW)) == [("at",)]
    # A date computed from the input is not the clock: a change there is a real change.
    assert list(volatile_paths({"at": recorded}, {"at": "2026-11-02T09:00:00"}, (), NOW)) == []
    assert list(volatile_paths({"at": "2026-12-04"}, {"at": "2026-12-05"}, (), NOW)) == []
    assert list(volatile_paths({"at": "pending"}, {"at": fresh}, (), NOW)) == []
