"""Recording and snapshot updates, without a server: observations are built by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest
import yaml

from scorecheck.compare import compare
from scorecheck.config import RunConfig
from scorecheck.fixtures.load import load_fixtures
from scorecheck.fixtures.record import (
    RecordError,
    Snapshotter,
    body_expectation,
    plan_recording,
    project,
    recorded_expect,
)
from scorecheck.model import Case, Mismatch, Observation
from tests.scorecheck.sc_support import write

JSON_HEADERS = (("Content-Type", "application/json"), ("x-request-id", "sc-1"), ("Set-Cookie", "s=secret"))


def _obs(body: bytes, status: int = 200, headers: Tuple[Tuple[str, str], ...] = JSON_HEADERS) -> Observation:
    return Observation(status=status, headers=headers, body=body, elapsed_ms=3.0, request_id="sc-1")


def _load(root: Path) -> List[Case]:
    cases, errors = load_fixtures([root])
    assert errors == []
    return cases


def _update(case: Case, obs: Observation) -> Tuple[bool, Sequence[Mismatch], Snapshotter]:
    snapshots = Snapshotter("update")
    mismatches = compare(case.expect, obs)
    return snapshots.observe(case, obs, mismatches), mismatches, snapshots


def test_body_expectations_prefer_json_then_text_then_base64() -> None:
    assert body_expectation(b'{"a": [1, 2.5]}') == {"json": {"a": [1, 2.5]}}
    assert body_expectation(b"Healthy") == {"body": "Healthy"}
    assert body_expectation(b"") == {"body": ""}
    assert body_expectation(b"\xff\x00") == {"body_base64": "/wA="}


def test_recorded_expect_keeps_settings_and_writes_no_secret_headers() -> None:
    previous = {"tolerance": {"abs": 0.1}, "ignore": ["$.t"], "status": 201}
    expect = recorded_expect(_obs(b'{"x": 1}', status=400), previous)
    assert expect == {
        "status": 400,
        "tolerance": {"abs": 0.1},
        "ignore": ["$.t"],
        "headers": {"Content-Type": "application/json"},
        "json": {"x": 1},
    }


def test_project_cuts_the_observation_to_the_subset_shape() -> None:
    shape = {"a": [1, 2], "b": {"c": 1}, "gone": 1}
    observed = {"a": [5, 6], "b": {"c": 2, "d": 3}, "extra": 4}
    assert project(shape, observed) == {"a": [5, 6], "b": {"c": 2}}
    assert project([1], [1, 2]) == [1, 2]


def test_update_rewrites_only_what_failed_and_keeps_the_rest(tmp_path: Path) -> None:
    fixture = write(
        tmp_path / "cases" / "multi.yaml",
        """
        # comments are lost on rewrite (documented)
        cases:
          - name: first
            request: {json: {"x": 1}}
            expect:
              status: 200
              json: {"y": 1.0}
              tolerance: {abs: 0.001}
              ignore: ["$.t"]
          - name: second
            tags: [keep]
            request: {json: {"x": 2}}
            expect:
              json_subset: {"y": 2}
        """,
    )
    first, second = _load(tmp_path / "cases")
    absorbed, mismatches, snapshots = _update(first, _obs(b'{"y": 1.5, "t": 9}', status=201))
    assert absorbed
    assert {m.kind for m in mismatches} == {"StatusMismatch", "BodyMismatch"}
    absorbed, _, more = _update(second, _obs(b'{"y": 3, "z": 4}'))
    assert absorbed
    snapshots.changes.extend(more.changes)
    assert snapshots.write() == [fixture]
    doc = yaml.safe_load(fixture.read_text())
    assert doc["cases"][0] == {
        "name": "first",
        "request": {"json": {"x": 1}},
        "expect": {"status": 201, "json": {"y": 1.5, "t": 9}, "tolerance": {"abs": 0.001}, "ignore": ["$.t"]},
    }
    assert doc["cases"][1]["expect"] == {"json_subset": {"y": 3}}
    assert doc["cases"][1]["tags"] == ["keep"]
    reloaded = _load(tmp_path / "cases")
    assert [compare(reloaded[0].expect, _obs(b'{"y": 1.5, "t": 0}', status=201))] == [[]]


def test_update_keeps_json_files_json_and_passing_cases_untouched(tmp_path: Path) -> None:
    fixture = write(
        tmp_path / "c" / "a.json", '{"request": {"json": {}}, "expect": {"headers": {"X-V": "1"}}}'
    )
    write(tmp_path / "c" / "b.json", '{"request": {"json": {}}}')
    case_a, case_b = _load(tmp_path / "c")
    headers = (("X-V", "2"),)
    absorbed, _, snapshots = _update(case_a, _obs(b"{}", headers=headers))
    assert absorbed
    assert not Snapshotter("update").observe(case_b, _obs(b"{}"), [])
    snapshots.write()
    assert json.loads(fixture.read_text()) == {"request": {"json": {}}, "expect": {"headers": {"X-V": "2"}}}


@pytest.mark.parametrize(
    "expect",
    [
        pytest.param('{body_regex: "^ok$"}', id="regex-is-a-rule"),
        pytest.param("{schema: {type: object, required: [y]}}", id="schema-is-a-contract"),
        pytest.param("{max_latency_ms: 0.001}", id="latency"),
        pytest.param('{headers: {Set-Cookie: "s=old"}}', id="secret-header"),
    ],
)
def test_update_refuses_what_is_not_a_snapshot(tmp_path: Path, expect: str) -> None:
    write(tmp_path / "c" / "a.yaml", f"request: {{json: {{}}}}\nexpect: {expect}\n")
    (case,) = _load(tmp_path / "c")
    absorbed, mismatches, snapshots = _update(case, _obs(b'{"x": 1}'))
    assert mismatches
    assert not absorbed
    assert snapshots.changes == []


def test_body_file_snapshots_are_rewritten(tmp_path: Path) -> None:
    write(tmp_path / "c" / "_data" / "expected.bin", "old")
    write(tmp_path / "c" / "a.yaml", "request: {body: x}\nexpect: {body_file: _data/expected.bin}\n")
    (case,) = _load(tmp_path / "c")
    absorbed, _, snapshots = _update(case, _obs(b"new bytes"))
    assert absorbed
    snapshots.write()
    assert (tmp_path / "c" / "_data" / "expected.bin").read_bytes() == b"new bytes"


def _record_config(tmp_path: Path, *inputs: Path, force: bool = False) -> RunConfig:
    return RunConfig(
        command="record",
        entry_script="score.py",
        inputs=tuple(str(p) for p in inputs),
        out_dir=str(tmp_path / "out"),
        force=force,
    )


def test_plan_turns_inputs_into_valid_fixture_skeletons(tmp_path: Path) -> None:
    payload = write(tmp_path / "in" / "batch.json", '{"data": [[1, 2]]}')
    image = tmp_path / "in" / "cat.png"
    image.write_bytes(b"\x89PNG\r\n")
    lines = write(
        tmp_path / "in" / "requests.jsonl",
        """
        {"json": {"a": 1}, "headers": {"Authorization": "Bearer nope", "X-Trace": "t"}}

        {"name": "health check", "tags": ["smoke"], "request": {"method": "GET", "path": "/"}}
        """,
    )
    plan = plan_recording(_record_config(tmp_path, payload, image, lines))
    written = plan.write()
    names = sorted(p.name for p in written)
    assert names == ["batch.yaml", "cat.yaml", "health-check.yaml", "requests-1.yaml"]
    cases = {c.name: c for c in _load(tmp_path / "out")}
    assert cases["batch"].request.body == b'{"data": [[1, 2]]}'
    assert cases["cat"].request.body == b"\x89PNG\r\n"
    assert ("Content-Type", "image/png") in cases["cat"].request.headers
    assert cases["requests-1"].request.headers == (("X-Trace", "t"), ("Content-Type", "application/json"))
    assert cases["health check"].request.method == "GET"
    assert cases["health check"].tags == ("smoke",)
    assert "nope" not in "".join(p.read_text() for p in written)
    plan.remove()
    assert not any(p.exists() for p in written)


def test_plan_lists_every_bad_input_and_refuses_to_overwrite(tmp_path: Path) -> None:
    write(tmp_path / "out" / "a.yaml", "request: {}\n")
    good = write(tmp_path / "in" / "a.json", "{}")
    broken = write(tmp_path / "in" / "b.json", "{nope")
    lines = write(tmp_path / "in" / "c.jsonl", '[1]\n{"jsn": {}}\n')
    with pytest.raises(RecordError) as info:
        plan_recording(_record_config(tmp_path, good, broken, lines, tmp_path / "missing.json"))
    text = "\n".join(info.value.problems)
    assert "b.json: invalid JSON" in text
    assert "c.jsonl:1: expected a JSON object" in text
    assert "c.jsonl:2: unknown request key 'jsn'" in text
    assert "missing.json: cannot read" in text
    with pytest.raises(RecordError, match="already exists"):
        plan_recording(_record_config(tmp_path, good))
    assert plan_recording(_record_config(tmp_path, good, force=True)).documents
