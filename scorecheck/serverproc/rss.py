"""The resident memory of the server's worker processes, sampled after the requests the gate sends.

The gate calls `RssSampler.sample()` after every request; each sample is the summed RSS of the processes that
serve requests, keyed by the number of requests served so far: answered with a 2xx. Refused input (a 4xx from
the schema check, a malformed body) often never reaches `run()`; counted, a stretch of it would dilute a leak's
growth per request and break its steady rise. Under gunicorn those are the master's children
(the master only supervises); a server with no child process (waitress) serves in the process itself. A
worker set that changes (a worker died and was replaced) starts a new series: its memory is a new process's.

RSS is read from `/proc/<pid>/statm` (a few microseconds per read). Elsewhere the sampler is unavailable and
says why, and the check reports "not checked" with that reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

PROC = Path("/proc")
MB = 1024 * 1024


def _page_size() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 4096


PAGE_SIZE = _page_size()


def rss_bytes(pid: int, proc: Path = PROC) -> Optional[int]:
    """The resident set size of `pid`, or None when it is gone (a zombie reads as 0 resident pages)."""
    try:
        fields = (proc / str(pid) / "statm").read_text().split()
        pages = int(fields[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * PAGE_SIZE if pages > 0 else None


def children(pid: int, proc: Path = PROC) -> Tuple[int, ...]:
    """The child processes of `pid`: from the kernel's children list, else by scanning every process's ppid."""
    listed = proc / str(pid) / "task" / str(pid) / "children"
    try:
        return tuple(int(word) for word in listed.read_text().split())
    except (OSError, ValueError):
        pass
    found: List[int] = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # Fields after the parenthesised command name: state, ppid, ...
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return tuple(found)


def unavailable_reason(proc: Path = PROC) -> Optional[str]:
    """Why RSS cannot be read on this platform, or None when it can."""
    if not (proc / "self" / "statm").is_file():
        return f"the resident memory of a process is read from {proc}/<pid>/statm, which this platform lacks"
    return None


@dataclass
class Series:
    """The summed RSS of one set of worker processes, after each request sent while that set served."""

    pids: FrozenSet[int]
    points: List[Tuple[int, int]] = field(default_factory=list)  # (requests sent, bytes)


@dataclass
class RssSampler:
    """Samples the workers of the server whose first process is `root`, once per request the gate sends."""

    root: int
    proc: Path = PROC
    sent: int = 0  # requests sent
    served: int = 0  # of them answered with a 2xx
    series: Dict[FrozenSet[int], Series] = field(default_factory=dict)
    order: List[FrozenSet[int]] = field(default_factory=list)
    _forks: Optional[bool] = None  # whether the root serves through child processes (decided once)

    def workers(self) -> Tuple[int, ...]:
        kids = children(self.root, self.proc)
        if self._forks is None:
            self._forks = bool(kids)
        return kids if self._forks else (self.root,)

    def sample(self, status: Optional[int]) -> None:
        """Count one more request sent (`status` None: no answer) and record the workers' RSS after it."""
        self.sent += 1
        if status is not None and 200 <= status < 300:
            self.served += 1
        pids = self.workers()
        sizes = [rss_bytes(pid, self.proc) for pid in pids]
        if not pids or any(size is None for size in sizes):
            return  # a worker is being replaced: no consistent reading now
        key = frozenset(pids)
        if key not in self.series:
            self.series[key] = Series(key)
            self.order.append(key)
        self.series[key].points.append((self.served, sum(size or 0 for size in sizes)))

    def all_series(self) -> List[Series]:
        """Every worker set's series, in the order the sets first served."""
        return [self.series[key] for key in self.order]
