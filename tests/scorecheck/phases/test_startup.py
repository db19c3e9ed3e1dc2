"""Reading init()'s duration and log lines from the server's log."""

from __future__ import annotations

from scorecheck.phases.startup import MAX_INIT_LINES, init_lines, init_seconds

BOOT = [
    "I [1] azmlinfsrv - Starting gunicorn",
    "I [7] azmlinfsrv.user_script - Invoking user's init function",
    "I [7] model - loading weights",
    "I [7] azmlinfsrv.user_script - Users's init has completed successfully",
    "I [7] azmlinfsrv.user_script - init() finished in 1.234 s",
    "I [7] azmlinfsrv - Worker with pid 7 ready for serving traffic",
]


def test_init_duration_and_lines() -> None:
    assert init_seconds(BOOT) == 1.234
    assert init_lines(BOOT) == BOOT[1:5]


def test_two_workers_report_the_slowest_and_every_line_between() -> None:
    lines = [*BOOT, *(line.replace("[7]", "[8]").replace("1.234", "2.5") for line in BOOT[1:5])]
    assert init_seconds(lines) == 2.5
    assert init_lines(lines) == lines[1:]


def test_a_server_without_the_timing_line() -> None:
    older = [line for line in BOOT if "finished in" not in line]
    assert init_seconds(older) is None
    assert init_lines(older)[0].endswith("Invoking user's init function")
    assert init_lines(["no init here"]) == []


def test_a_long_init_log_is_cut_in_the_middle() -> None:
    chatty = [BOOT[1], *(f"line {n}" for n in range(1000)), BOOT[4]]
    shown = init_lines(chatty)
    assert len(shown) == MAX_INIT_LINES + 1
    assert shown[0] == BOOT[1]
    assert shown[-1] == BOOT[4]
    assert "lines ..." in shown[MAX_INIT_LINES // 2]
