"""`--shard INDEX/TOTAL`: the split of the fixture cases and of the property budget."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import List

import pytest

from scorecheck.config import ConfigError, RunConfig, build_config, property_examples, property_seed
from scorecheck.model import Case, Expectation, RequestSpec
from scorecheck.phases.rerun import property_command
from scorecheck.shards import (
    Shard,
    case_key,
    parse_shard,
    shard_cases,
    shard_examples,
    shard_groups,
    shard_seed,
)

ROOT = Path("/somewhere/fixtures")


def case(relative: str, name: str = "") -> Case:
    return Case(name or relative, ROOT / relative, ROOT, None, RequestSpec(), Expectation())


def many(count: int) -> List[Case]:
    return [case(f"group{i % 7}/case_{i:03d}.yaml") for i in range(count)]


@pytest.mark.parametrize("total", [1, 2, 3, 4, 7, 10, 64])
def test_the_shards_partition_the_cases(total: int) -> None:
    cases = many(101)
    seen = Counter(c.name for i in range(1, total + 1) for c in shard_cases(cases, Shard(i, total)))
    assert set(seen) == {c.name for c in cases}
    assert set(seen.values()) == {1}


@pytest.mark.parametrize("total", [2, 3, 4, 7, 10])
def test_the_shards_are_balanced_to_one_case(total: int) -> None:
    sizes = [len(shard_cases(many(101), Shard(i, total))) for i in range(1, total + 1)]
    assert max(sizes) - min(sizes) <= 1
    assert sum(sizes) == 101


def test_a_shard_keeps_the_loading_order() -> None:
    cases = many(40)
    mine = shard_cases(cases, Shard(2, 3))
    assert mine == sorted(mine, key=cases.index)


def test_the_split_is_pinned() -> None:
    # A change of the hash, the key or the dealing moves cases between CI jobs: it must be deliberate.
    cases = [
        case("a.yaml"),
        case("b.yaml"),
        case("cases.yaml", "cases.yaml[0]"),
        case("sub/c.json"),
        case("d.yaml"),
    ]
    assigned = {c.name: i for i in (1, 2) for c in shard_cases(cases, Shard(i, 2))}
    assert assigned == PINNED
    assert case_key(cases[2]) == "cases.yaml::cases.yaml[0]"


# Computed apart from scorecheck: sha256 of "<file>::<name>", sorted, dealt 1, 2, 1, 2, ...
PINNED = {"a.yaml": 1, "b.yaml": 1, "cases.yaml[0]": 1, "sub/c.json": 2, "d.yaml": 2}


def test_the_split_does_not_depend_on_where_the_fixtures_are() -> None:
    here = [case("x/one.yaml"), case("x/two.yaml"), case("three.yaml")]
    elsewhere = [
        Case(c.name, Path("C:/ci") / c.file.relative_to(ROOT), Path("C:/ci"), None, c.request, c.expect)
        for c in here
    ]
    for index in (1, 2):
        mine = [c.name for c in shard_cases(here, Shard(index, 2))]
        assert mine == [c.name for c in shard_cases(elsewhere, Shard(index, 2))]


def test_a_file_given_alone_is_keyed_by_its_name() -> None:
    alone = Case("ok.yaml", Path("/x/ok.yaml"), Path("/elsewhere"), None, RequestSpec(), Expectation())
    assert case_key(alone) == "ok.yaml::ok.yaml"


@pytest.mark.parametrize(("total", "shards"), [(100, 4), (101, 4), (3, 2), (10, 7)])
def test_the_examples_add_up(total: int, shards: int) -> None:
    shares = [shard_examples(total, Shard(i, shards)) for i in range(1, shards + 1)]
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1


def test_every_shard_searches_at_least_one_example() -> None:
    assert [shard_examples(2, Shard(i, 4)) for i in range(1, 5)] == [1, 1, 1, 1]


def test_shard_seeds_are_pinned_distinct_and_the_seed_itself_unsharded() -> None:
    assert shard_seed(42, Shard(1, 1)) == 42
    seeds = [shard_seed(42, Shard(i, 4)) for i in range(1, 5)]
    assert seeds == PINNED_SEEDS
    assert len(set(seeds)) == 4
    assert shard_seed(43, Shard(1, 4)) != seeds[0]


PINNED_SEEDS = [1093300741, 1375621805, 1005580231, 1224421561]


@pytest.mark.parametrize("text", ["0/4", "5/4", "a/b", "2", "1/0", "-1/4", "2/4/1", ""])
def test_bad_shards_name_the_option_and_the_fix(text: str) -> None:
    with pytest.raises(ValueError, match=r"--shard: expected INDEX/TOTAL .* e\.g\. 2/4") as info:
        parse_shard(text)
    assert repr(text) in str(info.value)


def test_a_shard_reads_with_spaces() -> None:
    assert parse_shard(" 2 / 4 ") == Shard(2, 4)
    assert str(Shard(2, 4)) == "2/4"


def _args(**values: object) -> argparse.Namespace:
    return argparse.Namespace(command="run", paths=["score.py", "fixtures"], verbose=0, quiet=0, **values)


def test_the_config_divides_the_property_budget(tmp_path: Path) -> None:
    config = build_config(_args(shard="3/4", max_examples=10, seed=7), cwd=tmp_path)
    assert config.shard == Shard(3, 4)
    assert property_examples(config) == 2
    assert property_seed(config) == shard_seed(7, Shard(3, 4))
    assert property_examples(RunConfig(max_examples=10)) == 10


def test_pyproject_sets_the_shard_and_the_command_line_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.scorecheck]\nshard = "1/2"\n')
    assert build_config(_args(), cwd=tmp_path).shard == Shard(1, 2)
    assert build_config(_args(shard="2/2"), cwd=tmp_path).shard == Shard(2, 2)
    (tmp_path / "pyproject.toml").write_text("[tool.scorecheck]\nshard = 2\n")
    with pytest.raises(ConfigError, match=r"\[tool.scorecheck\] shard: expected INDEX/TOTAL"):
        build_config(_args(), cwd=tmp_path)


def test_a_shards_replay_command_reproduces_its_search_without_the_shard(tmp_path: Path) -> None:
    config = build_config(_args(shard="2/4", max_examples=100), cwd=tmp_path)
    command = property_command(config, "valid_json", property_seed(config), None)
    assert f"--seed {shard_seed(42, Shard(2, 4))} --checks valid_json --max-examples 25" in command
    assert "--shard" not in command


# The near sweep: (name, group) pairs standing in for probes; "ladder a" climbs until a rung fails.
SWEEP = [("raw", ""), *((f"key{i}", "") for i in range(9)), *((f"rung{i}", "ladder a") for i in range(5))]
SWEEP += [(f"rung{i}", "ladder b") for i in range(4)]


@pytest.mark.parametrize("total", [1, 2, 3, 4, 12, 40])
def test_the_shards_partition_the_sweep_and_keep_each_ladder_whole(total: int) -> None:
    shares = [
        shard_groups(SWEEP, lambda probe: probe[1], Shard(index, total)) for index in range(1, total + 1)
    ]
    assert sorted(p for share in shares for p in share) == sorted(SWEEP)  # each probe in exactly one shard
    for share in shares:
        assert share == [p for p in SWEEP if p in share]  # in sweep order
    for ladder in ("ladder a", "ladder b"):
        holders = [share for share in shares if any(p[1] == ladder for p in share)]
        assert len(holders) == 1
        assert [p for p in holders[0] if p[1] == ladder] == [p for p in SWEEP if p[1] == ladder]
    units = [len({p[1] or p[0] for p in share}) for share in shares]  # a ladder counts as one unit
    assert max(units) - min(units) <= 1
