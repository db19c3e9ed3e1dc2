"""Where `fastml server` runs `infer`: at most `--threads` calls at once per worker, each under `--timeout`.

Each slot is one of azmlinfsrv's serial Scorers (script/scoring.py), which enforces a deadline from any thread; a
call takes a free slot and gives it back. So `--threads 1` means one inference at a time, as in the contract,
while the request threads stay free to answer `/health`.
"""

from __future__ import annotations

import queue
from typing import Any, Callable

from ..script.scoring import Scorer, ScoringTimeout, WorkerStuck
from ..unified.services import InferenceTimeout

# Stands for "no deadline" (--timeout 0): far away, yet below what thread waits accept (TIMEOUT_MAX).
NO_DEADLINE_S = 10 * 365 * 24 * 3600.0


class InferencePool:
    def __init__(self, threads: int, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._deadline_s = timeout_s if timeout_s > 0 else NO_DEADLINE_S
        self._free: queue.Queue[Scorer] = queue.Queue()
        for _ in range(max(1, threads)):
            self._free.put(Scorer())

    def call(self, func: Callable[[Any], Any], input_data: Any) -> Any:
        """`func(input_data)` on a free slot; raises InferenceTimeout or whatever `func` raised."""
        scorer = self._free.get()
        try:
            # A slot whose last call timed out first waits for that call to stop; that wait is bounded by the
            # same timeout, so a call stuck in C code cannot hold later requests forever.
            return scorer.call(lambda: func(input_data), self._deadline_s, self._deadline_s)
        except ScoringTimeout:
            raise InferenceTimeout(f"Inference exceeded the {self._timeout_s:g} s timeout") from None
        except WorkerStuck:
            raise InferenceTimeout(
                f"An earlier inference that exceeded the {self._timeout_s:g} s timeout is still running"
            ) from None
        finally:
            self._free.put(scorer)
