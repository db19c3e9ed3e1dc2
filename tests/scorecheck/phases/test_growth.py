"""The memory growth estimate on synthetic series: leaks fail, steps and noise do not, short runs are not judged."""

from __future__ import annotations

import random
from typing import List, Tuple

import pytest

from scorecheck.phases.growth import KB, judge_growth, span_needed, theil_sen

MB = 1024 * 1024
LIMIT = 20 * KB  # bytes per request


def series(count: int, rss, seed: int = 0) -> List[Tuple[int, int]]:
    """(requests served, RSS) after each of `count` requests, with a few pages of jitter and the transient peaks
    large requests leave for a moment."""
    rng = random.Random(seed)
    points = []
    for n in range(1, count + 1):
        jitter = rng.randrange(0, 16) * 4096
        peak = 8 * MB if rng.random() < 0.05 else 0
        points.append((n, int(rss(n)) + jitter + peak))
    return points


def test_theil_sen_ignores_one_outlier() -> None:
    points = [(float(x), 2.0 * x) for x in range(10)]
    points[5] = (5.0, 1000.0)
    assert theil_sen(points) == pytest.approx(2.0)
    assert theil_sen([(1.0, 5.0)]) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_a_steady_leak_grows(seed: int) -> None:
    growth = judge_growth(series(300, lambda n: 50 * MB + n * 60 * KB, seed), LIMIT)
    assert growth.verdict == "grows"
    assert growth.kb_per_request == pytest.approx(60, rel=0.1)
    assert growth.rising == growth.steps == 4


@pytest.mark.parametrize("seed", range(5))
def test_flat_memory_with_noise_and_peaks_passes(seed: int) -> None:
    growth = judge_growth(series(300, lambda n: 50 * MB, seed), LIMIT)
    assert growth.verdict == "flat"
    assert abs(growth.kb_per_request) < 1


def test_a_cache_filled_once_passes() -> None:
    # 30 MB at request 60 (after the warm-up): a slope of 100 kB per request between two windows, once.
    growth = judge_growth(series(300, lambda n: 50 * MB + (30 * MB if n >= 60 else 0)), LIMIT)
    assert growth.verdict == "flat"
    assert growth.rising == 0


def test_a_few_high_water_steps_pass() -> None:
    # The batch ladder raising the allocator's high-water mark three times, spread over the run.
    def steps(n: int) -> float:
        return 50 * MB + sum(8 * MB for at in (70, 150, 230) if n >= at)

    growth = judge_growth(series(300, steps), LIMIT)
    assert growth.verdict == "flat"
    assert growth.rising <= 1


def test_a_leak_with_a_stretch_that_keeps_nothing_still_grows() -> None:
    # Requests 100-160 leave RSS flat (the leak refills the heap a 1 MB request freed): three windows.
    def paused(n: int) -> float:
        return 50 * MB + 60 * KB * (min(n, 100) + max(0, n - 160))

    assert judge_growth(series(300, paused), LIMIT).verdict == "grows"


def test_growth_below_the_limit_passes() -> None:
    growth = judge_growth(series(300, lambda n: 50 * MB + n * 10 * KB), LIMIT)
    assert growth.verdict == "flat"
    assert growth.kb_per_request == pytest.approx(10, rel=0.2)


def test_too_few_requests_are_not_judged() -> None:
    short = series(span_needed() - 2, lambda n: 50 * MB + n * 500 * KB)
    growth = judge_growth(short, LIMIT)
    assert growth.verdict == "too_few"
    assert growth.judged < 200
    assert judge_growth([], LIMIT).verdict == "too_few"


def test_span_needed_is_enough() -> None:
    enough = series(span_needed() + 1, lambda n: 50 * MB)
    growth = judge_growth(enough, LIMIT)
    assert growth.judged >= 200
    assert growth.verdict == "flat"


def test_a_step_in_the_later_half_is_one_rise_only() -> None:
    growth = judge_growth(series(300, lambda n: 50 * MB + (30 * MB if n >= 250 else 0)), LIMIT)
    assert growth.verdict == "flat"
    assert growth.rising == 1
