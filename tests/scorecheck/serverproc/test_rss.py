"""Reading the workers' RSS: from a /proc laid out in a folder, and from this process's own /proc entry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest

from scorecheck.serverproc.rss import RssSampler, children, rss_bytes, unavailable_reason

PAGE = os.sysconf("SC_PAGE_SIZE")


def process(
    proc: Path, pid: int, *, ppid: int, resident: int, kids: Sequence[int] = (), listed: bool = True
) -> None:
    folder = proc / str(pid)
    (folder / "task" / str(pid)).mkdir(parents=True, exist_ok=True)
    (folder / "statm").write_text(f"{resident * 3} {resident} 10 1 0 50 0\n")
    (folder / "stat").write_text(f"{pid} (python3 (x)) S {ppid} {pid} {pid} 0\n")
    if listed:
        (folder / "task" / str(pid) / "children").write_text(" ".join(map(str, kids)))


def test_gunicorn_workers_are_summed_and_keyed_by_2xx_answers(tmp_path: Path) -> None:
    process(tmp_path, 100, ppid=1, resident=1000, kids=(101, 102))
    process(tmp_path, 101, ppid=100, resident=200)
    process(tmp_path, 102, ppid=100, resident=300)
    sampler = RssSampler(100, proc=tmp_path)
    sampler.sample(200)
    sampler.sample(404)  # refused: sampled, but not a request served
    sampler.sample(None)
    (series,) = sampler.all_series()
    assert series.pids == frozenset({101, 102})
    assert series.points == [(1, 500 * PAGE)] * 3
    assert (sampler.sent, sampler.served) == (3, 1)


def test_a_replaced_worker_starts_a_new_series(tmp_path: Path) -> None:
    process(tmp_path, 100, ppid=1, resident=1000, kids=(101,))
    process(tmp_path, 101, ppid=100, resident=200)
    sampler = RssSampler(100, proc=tmp_path)
    sampler.sample(200)
    process(tmp_path, 100, ppid=1, resident=1000, kids=(103,))
    process(tmp_path, 103, ppid=100, resident=150)
    sampler.sample(200)
    first, second = sampler.all_series()
    assert (first.pids, first.points) == (frozenset({101}), [(1, 200 * PAGE)])
    assert (second.pids, second.points) == (frozenset({103}), [(2, 150 * PAGE)])


def test_a_server_without_children_serves_in_its_own_process(tmp_path: Path) -> None:
    process(tmp_path, 100, ppid=1, resident=700)
    sampler = RssSampler(100, proc=tmp_path)
    sampler.sample(200)
    assert sampler.all_series()[0].points == [(1, 700 * PAGE)]


def test_a_worker_being_replaced_gives_no_reading(tmp_path: Path) -> None:
    process(tmp_path, 100, ppid=1, resident=1000, kids=(101,))
    process(tmp_path, 101, ppid=100, resident=0)  # a zombie: no resident pages
    sampler = RssSampler(100, proc=tmp_path)
    sampler.sample(200)
    assert sampler.all_series() == []
    assert rss_bytes(101, tmp_path) is None
    assert rss_bytes(999, tmp_path) is None


def test_children_without_the_kernel_list_come_from_each_process_parent(tmp_path: Path) -> None:
    process(tmp_path, 100, ppid=1, resident=1000, listed=False)
    process(tmp_path, 101, ppid=100, resident=200, listed=False)
    process(tmp_path, 102, ppid=7, resident=200, listed=False)
    assert children(100, tmp_path) == (101,)


def test_a_platform_without_proc_says_why(tmp_path: Path) -> None:
    reason = unavailable_reason(tmp_path / "none")
    assert reason is not None
    assert "statm" in reason


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_real_processes() -> None:
    assert unavailable_reason() is None
    own = rss_bytes(os.getpid())
    assert own is not None
    assert own > 1024 * 1024
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert child.pid in children(os.getpid())
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
