"""CPU use from /proc: wait for a quiet machine, and tell how busy other processes were during a run."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_busy_total() -> tuple[int, int]:
    """Busy and total jiffies over all cores, from the first line of /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user..steal (guest time is already in user)
    return total - idle, total


def _tree_ticks(pids: Iterable[int]) -> int:
    """utime + stime of ``pids`` (gone processes count 0)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks


def _children_ticks() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * _TICKS


def busy_share(window_s: float) -> float:
    """Share of all cores' time that was busy over ``window_s`` (0..1)."""
    busy0, total0 = _stat_busy_total()
    time.sleep(window_s)
    busy1, total1 = _stat_busy_total()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_quiet(threshold: float, max_wait_s: float, window_s: float = 0.5) -> float:
    """Wait until the machine is below ``threshold`` busy (at most ``max_wait_s``); last share seen."""
    deadline = time.monotonic() + max_wait_s
    share = busy_share(window_s)
    while share > threshold and time.monotonic() < deadline:
        share = busy_share(window_s)
    return share


@dataclass
class Patience:
    """How long the whole run may still wait for a quiet machine or rerun disturbed measurements."""

    threshold: float
    per_wait_s: float
    remaining_s: float

    def wait_quiet(self) -> None:
        """Wait until the machine is quiet, at most ``per_wait_s`` and what is left of the budget."""
        if self.remaining_s <= 0:
            return
        started = time.monotonic()
        wait_quiet(self.threshold, min(self.per_wait_s, self.remaining_s))
        self.remaining_s -= time.monotonic() - started

    def take(self, seconds: float) -> bool:
        """Spend ``seconds`` of the budget on a rerun if there is that much left."""
        if self.remaining_s < seconds:
            return False
        self.remaining_s -= seconds
        return True


@dataclass
class ForeignCpu:
    """Measures, around a block, the share of all cores used by processes other than ours.

    "Ours" is the server tree (``pids``) and the children this process reaped meanwhile (wrk).
    ``tree_cpu_s`` is the CPU time (user + system) the server tree used meanwhile.
    """

    pids: tuple[int, ...]
    share: float = 0.0
    tree_cpu_s: float = 0.0

    def __enter__(self) -> ForeignCpu:
        self._start = (_stat_busy_total(), _tree_ticks(self.pids), _children_ticks())
        return self

    def __exit__(self, *_exc: object) -> None:
        (busy0, total0), tree0, kids0 = self._start
        busy1, total1 = _stat_busy_total()
        tree = _tree_ticks(self.pids) - tree0
        mine = tree + (_children_ticks() - kids0)
        self.tree_cpu_s = tree / _TICKS
        self.share = max(0.0, (busy1 - busy0) - mine) / max(1, total1 - total0)
