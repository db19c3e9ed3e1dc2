"""`scorecheck run --shard` and `scorecheck merge-junit` end to end: real CLI processes, real servers."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from tests.scorecheck.junit_checks import Report
from tests.scorecheck.sc_support import ECHO, report_at, scorecheck, write

# Starts a server per shard: deselect with -m "not slow" for a fast inner loop.
pytestmark = pytest.mark.slow

NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")
SEARCH = ("--max-examples", "6", "--max-time", "60")


def fixtures(folder: Path, names: List[str]) -> Path:
    for name in names:
        write(
            folder / f"{name}.yaml",
            f'request: {{json: {{"tag": "{name}"}}}}\nexpect: {{json: {{"echo": {{"tag": "{name}"}}}}}}\n',
        )
    return folder


def replayed(report: Report) -> List[str]:
    return [
        c.name for c in report.cases if c.suite == "scorecheck.replay" and c.classname.endswith("fixtures")
    ]


def test_two_shards_replay_every_case_once_and_merge_into_one_report(tmp_path: Path) -> None:
    cases = fixtures(tmp_path / "cases", list(NAMES))
    reports = []
    for index in (1, 2):
        path = tmp_path / f"shard-{index}.xml"
        args = ["run", str(ECHO), str(cases), "--shard", f"{index}/2", *SEARCH, "--junit-xml", str(path)]
        result = scorecheck(args, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"scorecheck: shard {index}/2 replays " in result.stderr
        assert "property phase: 3 examples, seed " in result.stderr
        reports.append(report_at(path))
    first, second = (replayed(report) for report in reports)
    assert sorted(first + second) == sorted(f"{name}.yaml" for name in NAMES)
    assert abs(len(first) - len(second)) == 1
    shards = [report.properties["scorecheck.replay"]["shard"] for report in reports]
    seeds = [report.properties["scorecheck.replay"]["seed"] for report in reports]
    assert shards == ["1/2", "2/2"]
    assert seeds[0] != seeds[1]
    checks = [c.name for c in reports[0].cases if c.suite == "scorecheck.property"]
    assert checks
    assert checks == [c.name for c in reports[1].cases if c.suite == "scorecheck.property"]

    merged_path = tmp_path / "all.xml"
    result = scorecheck(
        ["merge-junit", str(tmp_path / "shard-1.xml"), str(tmp_path / "shard-2.xml"), "-o", str(merged_path)],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    merged = report_at(merged_path)  # the XSD and every profile check
    assert sorted(replayed(merged)) == sorted(f"{name}.yaml" for name in NAMES)
    assert [c.name for c in merged.cases if c.suite == "scorecheck.property"] == checks
    assert merged.properties["scorecheck.property"]["shard"] == "1/2, 2/2"
    startup = merged.case("startup")
    assert "--- shard 1/2 (shard-1.xml) ---" in (startup.system_out or "")
    assert "--- shard 2/2 (shard-2.xml) ---" in (startup.system_out or "")


def test_a_shard_with_no_case_passes_with_a_note(tmp_path: Path) -> None:
    cases = fixtures(tmp_path / "cases", ["only"])
    report_path = tmp_path / "shard-3.xml"
    args = [
        "run",
        str(ECHO),
        str(cases),
        "--shard",
        "3/3",
        "--no-properties",
        "--junit-xml",
        str(report_path),
    ]
    result = scorecheck(args, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shard 3/3 has no case to replay (1 case selected for 3 shards)" in result.stderr
    report = report_at(report_path)
    assert replayed(report) == []
    assert report.properties["scorecheck.replay"]["shard"] == "3/3"


@pytest.mark.parametrize("shard", ["0/4", "5/4", "a/b"])
def test_a_bad_shard_is_a_usage_error_and_starts_nothing(tmp_path: Path, shard: str) -> None:
    cases = fixtures(tmp_path / "cases", ["only"])
    marker = tmp_path / "init-ran"
    result = scorecheck(
        ["run", str(ECHO), str(cases), "--shard", shard], cwd=tmp_path, env={"SC_INIT_MARKER": str(marker)}
    )
    assert result.returncode == 2
    assert (
        "scorecheck: error: --shard: expected INDEX/TOTAL with 1 <= INDEX <= TOTAL, e.g. 2/4" in result.stderr
    )
    assert f"got {shard!r}" in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "TEST-scorecheck.xml").exists()
