"""The engine's side of the live progress: the search's call after every example, thinned out to at most one
update per interval (a fake clock), and the final state always delivered."""

from __future__ import annotations

from collections import Counter
from typing import List

from scorecheck.model import PropertyProgress
from scorecheck.phases.progress import INTERVAL_S, ProgressThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(seen: List[PropertyProgress], clock: FakeClock) -> ProgressThrottle:
    return ProgressThrottle(seen.append, max_time_s=60.0, planned_examples=500, clock=clock)


def test_at_most_one_update_per_interval_the_first_at_once() -> None:
    seen: List[PropertyProgress] = []
    clock = FakeClock()
    throttle = _throttle(seen, clock)
    counts: Counter[str] = Counter()
    step_s = 1 / 64  # exact in binary: no rounding decides a boundary
    for step in range(64):  # an example every 15.6 ms for one second
        counts["near" if step % 4 else "hostile"] += 1
        throttle(counts, 0, 60.0 - step * step_s)
        clock.now += step_s
    # the first at once, then every 7th example (6 x 15.6 ms < 0.1 s <= 7 x 15.6 ms)
    assert [value.total for value in seen] == list(range(1, 65, 7))
    assert not any(value.final for value in seen)
    assert INTERVAL_S == 0.1


def test_the_final_update_always_comes_with_every_tier_in_order() -> None:
    seen: List[PropertyProgress] = []
    clock = FakeClock()
    throttle = _throttle(seen, clock)
    throttle(Counter(near=1), 0, 59.0)
    throttle.finish(Counter(near=7, hostile=2), 1, -0.5)  # no time between them: still delivered
    assert len(seen) == 2
    final = seen[-1]
    assert final.final
    assert final.examples == (("near", 7), ("schema", 0), ("hostile", 2))
    assert (final.failures, final.time_left_s, final.max_time_s, final.planned_examples) == (
        1,
        0.0,
        60.0,
        500,
    )


def test_the_values_do_not_change_when_the_search_counts_on() -> None:
    seen: List[PropertyProgress] = []
    throttle = _throttle(seen, FakeClock())
    counts: Counter[str] = Counter(near=3)
    throttle(counts, 0, 10.0)
    counts["near"] += 50  # the search's own Counter, mutated after the call
    assert seen[0].examples[0] == ("near", 3)
