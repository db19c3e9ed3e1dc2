"""Memory of a process tree, read from /proc."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class TreeMemory:
    """Summed memory of a process and all its descendants, in bytes."""

    pids: tuple[int, ...]
    rss_bytes: int
    pss_bytes: int

    @property
    def rss_mb(self) -> float:
        return self.rss_bytes / 1e6

    @property
    def pss_mb(self) -> float:
        return self.pss_bytes / 1e6


def _parent_of(stat_text: str) -> int:
    """The ppid field of /proc/PID/stat (the command name may hold spaces and parentheses)."""
    return int(stat_text.rsplit(")", 1)[1].split()[1])


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = _parent_of((entry / "stat").read_text())
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    children = _children_map()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/PID/status, 0 if the process is gone."""
    with contextlib.suppress(OSError):
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size from /proc/PID/smaps_rollup, 0 if unavailable."""
    with contextlib.suppress(OSError):
        for line in (_PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def tree_memory(root: int) -> TreeMemory:
    """Sum RSS (and PSS) over ``root`` and its descendants."""
    pids = tuple(descendants(root))
    rss = sum(_status_kb(pid, "VmRSS") for pid in pids) * 1024
    pss = sum(_pss_kb(pid) for pid in pids) * 1024
    return TreeMemory(pids, rss, pss)
