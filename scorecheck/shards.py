"""Split one gate over several CI jobs: `--shard INDEX/TOTAL` (1-based).

Fixture cases are dealt out by a SHA-256 of their identity (the fixture file relative to its fixtures root, and
the case name), never by Python's `hash()`, which is salted per process: every job of a CI matrix computes the
same split on any machine and Python version. The cases are sorted by that hash and dealt round-robin, so shard
sizes differ by one at most, whatever the names look like.

The property phase runs in every shard (each learns the input model from every selected case, as an unsharded
run does) with a share of `--max-examples` and a seed of its own, so the shards search different examples and
together send what one run would. The near tier's sweep (every single mutation once) is dealt out too, a batch
ladder kept whole in one shard, since it climbs until its first refused rung. `--max-time` is not divided: it
bounds each job's wall time, and the jobs run side by side.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, TypeVar

from .model import Case, plural

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
SEED_RANGE = 2**32  # hypothesis takes any integer; 32 bits print short in a replay command


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def parse_shard(text: str, label: str = "--shard") -> Shard:
    """`"2/4"` -> Shard(2, 4). Raises ValueError with a message naming `label` and the fix."""
    found = _SPEC.fullmatch(text)
    index, total = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if not found or total < 1 or not 1 <= index <= total:
        raise ValueError(
            f"{label}: expected INDEX/TOTAL with 1 <= INDEX <= TOTAL, e.g. 2/4 for the second of four jobs "
            f"(shards count from 1), got {text!r}"
        )
    return Shard(index, total)


def case_key(case: Case) -> str:
    """What identifies a case across machines: its file relative to the fixtures root (with `/`) and its name."""
    try:
        relative = case.file.relative_to(case.root).as_posix()
    except ValueError:  # a fixture file given by itself is its own root
        relative = case.file.name
    return f"{relative}::{case.name}"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


T = TypeVar("T")


def deal(items: Sequence[T], keys: Sequence[str], shard: Shard) -> List[T]:
    """The items of `shard`: sorted by the hash of their key, dealt round-robin; input order is kept."""
    order = sorted(range(len(items)), key=lambda i: (_digest(keys[i]), keys[i]))
    mine = {position for rank, position in enumerate(order) if rank % shard.total == shard.index - 1}
    return [item for position, item in enumerate(items) if position in mine]


def shard_cases(cases: Sequence[Case], shard: Shard) -> List[Case]:
    """The fixture cases this shard replays."""
    return deal(cases, [case_key(case) for case in cases], shard)


def shard_examples(total: int, shard: Shard) -> int:
    """This shard's share of `total` examples (the first shards take the remainder); at least 1."""
    share, rest = divmod(total, shard.total)
    return max(1, share + (1 if shard.index <= rest else 0))


def shard_seed(seed: int, shard: Shard) -> int:
    """A seed of this shard's own, derived from the run's seed: the same on every machine, and the run's seed
    itself when there is one shard."""
    if shard.total == 1:
        return seed
    digest = _digest(f"scorecheck-shard:{seed}:{shard.index}/{shard.total}")
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


def shard_note(shard: Shard, mine: int, selected: int, seed: Optional[int], examples: int) -> str:
    """One line for the job's log: what this shard does (an empty shard passes, and says why)."""
    if mine:
        replay = f"replays {mine} of {plural(selected, 'selected case')}"
    else:
        replay = f"has no case to replay ({plural(selected, 'case')} selected for {shard.total} shards)"
    search = (
        "no property phase" if seed is None else f"property phase: {plural(examples, 'example')}, seed {seed}"
    )
    return f"shard {shard} {replay}; {search}"


def shard_groups(items: Sequence[T], group_of: Callable[[T], str], shard: Shard) -> List[T]:
    """This shard's share of an ordered list that every shard computes alike: the items of one non-empty group
    stay together; groups and ungrouped items are dealt round-robin in order of first appearance."""
    unit_of_group: Dict[str, int] = {}
    units = 0
    mine: List[T] = []
    for item in items:
        group = group_of(item)
        unit = unit_of_group.get(group) if group else None
        if unit is None:
            unit, units = units, units + 1
            if group:
                unit_of_group[group] = unit
        if unit % shard.total == shard.index - 1:
            mine.append(item)
    return mine
