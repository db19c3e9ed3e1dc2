"""The baseline phase's settings and plan: options and pyproject keys, and which requests both servers get."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Sequence

import pytest

from scorecheck.cli.main import build_parser
from scorecheck.config import ConfigError, RunConfig, build_config
from scorecheck.fixtures.load import load_fixtures
from scorecheck.model import Case, Tolerance
from scorecheck.phases.baseline import accepted_path
from scorecheck.phases.baseline_plan import LADDER_RUNGS, plan
from tests.scorecheck.sc_support import write


def _config(argv: Sequence[str], cwd: Path) -> RunConfig:
    return build_config(build_parser().parse_args(list(argv)), cwd)


def test_the_options_and_their_pyproject_keys(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
        [tool.scorecheck]
        baseline = "released/score.py"
        baseline-max-requests = 50
        accepted-changes = "review/accepted.yaml"
        """,
    )
    config = _config(["run", "score.py", "cases", "--accept-changes"], tmp_path)
    assert Path(str(config.baseline)).resolve() == tmp_path / "released" / "score.py"
    assert config.baseline_max_requests == 50
    assert config.accept_changes is True
    assert accepted_path(config).resolve() == tmp_path / "review" / "accepted.yaml"
    overridden = _config(["run", "score.py", "cases", "--baseline-max-requests", "7"], tmp_path)
    assert overridden.baseline_max_requests == 7


def test_the_accepted_changes_file_defaults_beside_the_fixtures(tmp_path: Path) -> None:
    config = _config(["run", "score.py", "tests/cases", "--baseline", "old.py"], tmp_path)
    assert config.pyproject is None
    assert accepted_path(config).name == "scorecheck-accepted-changes.yaml"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--baseline", "a.py", "--baseline-target", "http://x"],
            "--baseline and --baseline-target: give one",
        ),
        (["--baseline-target", "ftp://x"], "--baseline-target: expected an http:// or https:// URL"),
        (
            ["--baseline", "a.py", "--baseline-max-requests", "0"],
            "--baseline-max-requests: must be at least 1",
        ),
        (["--accept-changes"], "--accept-changes: needs --baseline OLD_SCORE_PY or --baseline-target URL"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, argv: List[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(["run", "score.py", "cases", *argv], tmp_path)


def _cases(tmp_path: Path) -> List[Case]:
    write(
        tmp_path / "cases" / "values.yaml",
        """
        cases:
          - name: two
            request: {json: {"values": [1.5, 2.5]}}
            expect: {status: 200, tolerance: {abs: 0.01}, ignore: ["$.meta"]}
          - name: four
            request: {json: {"values": [1, 2, 3, 4]}}
            expect: {status: 200, tolerance: {rel: 0.001}}
          - name: again
            request: {json: {"values": [1.5, 2.5]}}
            expect: {status: 200}
          - name: health
            request: {method: GET, path: /}
        """,
    )
    cases, errors = load_fixtures([tmp_path / "cases"])
    assert not errors
    return cases


def test_fixtures_come_first_then_the_near_tier_once_each(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    found = plan(RunConfig(fixtures=("cases",)), cases, 1000)
    sources = [item.source for item in found.requests]
    assert sources[:3] == ["fixture two", "fixture four", "fixture health"]  # "again" repeats "two"
    assert all(source.startswith("near tier") for source in sources[3:])
    bodies = [item.request.body for item in found.requests]
    assert len(bodies) == len(set(bodies))  # each request once
    assert found.available == len(found.requests)


def test_the_ladder_sends_only_its_first_rungs_and_the_budget_cuts_the_list(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    found = plan(RunConfig(fixtures=("cases",)), cases, 1000)
    ladder = [item for item in found.requests if "batch ladder" in item.source]
    assert 0 < len(ladder) <= LADDER_RUNGS
    sizes = [len(json.loads(item.request.body or b"{}")["values"]) for item in ladder]
    assert sizes == sorted(sizes)
    assert sizes[0] > 1
    cut = plan(RunConfig(fixtures=("cases",)), cases, 5)
    assert len(cut.requests) == 5
    assert cut.available == found.available


def test_a_near_request_takes_the_loosest_tolerance_and_every_ignore_path(tmp_path: Path) -> None:
    found = plan(RunConfig(fixtures=("cases",)), _cases(tmp_path), 1000)
    fixture = found.requests[0].rules
    near = found.requests[-1].rules
    assert fixture.tolerance == Tolerance(abs=0.01)
    assert near.tolerance == Tolerance(abs=0.01, rel=0.001)
    assert "$.meta" in near.ignore
    assert "$.timestamp" in near.ignore  # the default volatile fields
