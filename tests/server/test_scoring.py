"""Unit tests for azmlinfsrv.scoring.Scorer: serial execution, deadlines, interruption and successor threads.

Most tests drive the hand-off path (the scoring thread, used off the main thread); the tests at the end drive the
inline path the main thread uses (a SIGALRM timer, as upstream), and the lock the two paths share.
"""

from __future__ import annotations

import contextvars
import signal
import threading
import time
from typing import Any, Dict, List

import pytest
from azmlinfsrv.script.scoring import Scorer, ScoringTimeout, WorkerStuck

LONG = 10.0
# Wall-time bounds are about outcome, not speed: "interrupted" means long before the blocking call would end
# (HANG), checked with a bound (PROMPT) that a loaded 2-core machine meets with a wide margin.
HANG = 60.0
PROMPT = 20.0
REQUEST_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")


def in_thread(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_returns_the_result_with_keyword_arguments() -> None:
    assert Scorer(inline_on_main_thread=False).call(lambda a, b: a + b, LONG, LONG, a=2, b=3) == 5


def test_exceptions_propagate_unchanged() -> None:
    error = ValueError("boom")

    def fail() -> None:
        raise error

    with pytest.raises(ValueError, match=r"^boom$") as info:
        Scorer(inline_on_main_thread=False).call(fail, LONG, LONG)
    assert info.value is error


def test_calls_run_on_one_dedicated_thread() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    idents = {scorer.call(threading.get_ident, LONG, LONG) for _ in range(3)}
    assert len(idents) == 1
    assert threading.get_ident() not in idents


def test_concurrent_calls_never_overlap() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    lock = threading.Lock()
    state = {"active": 0, "max": 0}
    results: List[int] = []

    def work(index: int) -> int:
        with lock:
            state["active"] += 1
            state["max"] = max(state["max"], state["active"])
        time.sleep(0.05)
        with lock:
            state["active"] -= 1
        return index

    def request(index: int) -> None:
        value = scorer.call(work, LONG, LONG, index=index)
        with lock:
            results.append(value)

    threads = [in_thread(lambda i=i: request(i)) for i in range(5)]
    for thread in threads:
        thread.join(5)
    assert sorted(results) == [0, 1, 2, 3, 4]
    assert state["max"] == 1


def test_deadline_counts_from_start_not_from_queueing() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    started, release = threading.Event(), threading.Event()
    limit = 1.0

    def first() -> str:
        started.set()
        release.wait(HANG)
        return "first"

    holder = in_thread(lambda: scorer.call(first, LONG, LONG))
    assert started.wait(LONG)
    # `first` holds the scorer for twice the limit; the queued call itself returns at once.
    threading.Timer(2 * limit, release.set).start()
    submitted = time.monotonic()
    assert scorer.call(lambda: "second", limit, LONG) == "second"
    assert (
        time.monotonic() - submitted > limit
    )  # it waited longer than its limit, and still was not timed out
    holder.join(LONG)


def test_pure_python_loop_is_interrupted_and_a_successor_runs_the_next_call() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    state: Dict[str, Any] = {"iterations": 0, "caught": None, "thread": None}

    def spin() -> None:
        state["thread"] = threading.get_ident()
        try:
            while True:
                state["iterations"] += 1
        except BaseException as exc:
            state["caught"] = type(exc)
            raise

    started = time.monotonic()
    with pytest.raises(ScoringTimeout):
        scorer.call(spin, 0.3, LONG)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < PROMPT
    # The next call runs only once the interrupted one has stopped, on a new thread.
    successor = scorer.call(threading.get_ident, LONG, LONG)
    assert state["caught"] is ScoringTimeout
    assert successor != state["thread"]
    # The interrupted thread has really stopped (the successor waited for it), so its loop cannot go on.
    assert state["thread"] not in {t.ident for t in threading.enumerate()}
    assert scorer.call(lambda: "still serving", LONG, LONG) == "still serving"


def test_user_except_exception_cannot_swallow_the_timeout() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    state = {"swallowed": False}

    def stubborn() -> str:
        try:
            while True:
                pass
        except Exception:
            state["swallowed"] = True
            return "swallowed"

    with pytest.raises(ScoringTimeout):
        scorer.call(stubborn, 0.2, LONG)
    assert scorer.call(lambda: "next", LONG, LONG) == "next"
    assert state["swallowed"] is False


def test_sleep_in_c_code_returns_timeout_promptly() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    started = time.monotonic()
    with pytest.raises(ScoringTimeout):
        scorer.call(lambda: time.sleep(HANG), 0.5, LONG)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < PROMPT


def test_call_queued_behind_a_stuck_call_gives_worker_stuck() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    started, release = threading.Event(), threading.Event()
    ran: List[str] = []

    def block() -> None:
        started.set()
        release.wait(HANG)

    holder = in_thread(lambda: scorer.call(block, HANG, HANG))
    assert started.wait(LONG)
    began = time.monotonic()
    with pytest.raises(WorkerStuck):
        scorer.call(lambda: ran.append("queued"), LONG, 0.2)
    assert time.monotonic() - began < PROMPT  # gave up while `block` still held the scorer
    assert holder.is_alive()
    release.set()
    holder.join(LONG)
    assert scorer.call(lambda: "after", LONG, LONG) == "after"
    assert ran == []  # the abandoned call never runs


def test_contextvars_travel_to_the_scoring_thread() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    token = REQUEST_VAR.set("request-42")
    try:
        assert scorer.call(REQUEST_VAR.get, LONG, LONG) == "request-42"
    finally:
        REQUEST_VAR.reset(token)
    assert scorer.call(REQUEST_VAR.get, LONG, LONG) == "unset"


def test_context_changes_do_not_leak_back() -> None:
    scorer = Scorer(inline_on_main_thread=False)
    scorer.call(lambda: REQUEST_VAR.set("inside"), LONG, LONG)
    assert REQUEST_VAR.get() == "unset"


def test_fast_call_is_not_reported_as_timeout() -> None:
    # A short limit, yet far longer than a loaded machine needs to hand a trivial call over and back.
    assert Scorer(inline_on_main_thread=False).call(lambda: "quick", 2.0, LONG) == "quick"


# --- the inline path: calls made on the main thread run there, under a SIGALRM timer ---------------------------


def test_main_thread_calls_run_inline() -> None:
    assert Scorer().call(threading.get_ident, LONG, LONG) == threading.get_ident()


def test_inline_timeout_interrupts_a_blocking_sleep() -> None:
    def nap(seconds: float) -> None:
        time.sleep(seconds)  # time.sleep itself takes no keyword arguments

    started = time.monotonic()
    with pytest.raises(ScoringTimeout):
        Scorer().call(nap, 0.3, LONG, seconds=HANG)
    assert time.monotonic() - started < PROMPT


def test_inline_alarm_is_cancelled_after_run_returns() -> None:
    scorer = Scorer()
    assert scorer.call(lambda: "quick", 5.0, LONG) == "quick"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left armed to fire later
    assert scorer.busy_for() is None


def test_inline_and_threaded_calls_share_one_lock() -> None:
    scorer = Scorer()
    active: List[int] = []
    overlaps: List[int] = []

    def work() -> None:
        active.append(1)
        if len(active) > 1:
            overlaps.append(1)
        time.sleep(0.2)
        active.pop()

    other = in_thread(lambda: scorer.call(work, LONG, LONG))
    scorer.call(work, LONG, LONG)
    other.join(LONG)
    assert not other.is_alive()
    assert overlaps == []


def test_busy_for_reports_an_inline_call_in_progress() -> None:
    scorer = Scorer()
    seen: List[Any] = []
    scorer.call(lambda: seen.append(scorer.busy_for()), LONG, LONG)
    assert seen[0] is not None
    assert seen[0] >= 0.0


def test_call_queued_behind_an_inline_call_gives_up_at_its_queue_limit() -> None:
    # A helper thread's call waits behind run() on the main thread; past its queue limit it must give up
    # (WorkerStuck) while the main-thread call is still running, not spin until that call returns.
    scorer = Scorer()
    outcome: Dict[str, Any] = {}

    def queued() -> None:
        try:
            scorer.call(lambda: "late", 5.0, 0.3)
        except WorkerStuck:
            outcome["stuck"] = True

    def held_on_main_thread() -> str:
        helper = threading.Thread(target=queued)
        helper.start()
        helper.join(10)
        outcome["gave_up_in_time"] = not helper.is_alive()
        return "first"

    assert threading.current_thread() is threading.main_thread()
    assert scorer.call(held_on_main_thread, 30.0, 30.0) == "first"
    assert outcome == {"stuck": True, "gave_up_in_time": True}
