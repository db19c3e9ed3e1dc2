"""What the differential comparison masks in a log line, and what it must leave alone."""

from __future__ import annotations

from .normalise import log_records

LOG = "2026-12-05 18:00:00,000 I [{pid}] azmlinfsrv - {message}"


def test_a_pid_is_masked_where_a_message_names_a_process() -> None:
    text = "\n".join(
        LOG.format(pid=2768, message=m)
        for m in ("Worker with pid 2768 ready for serving traffic", "Worker 2768 loaded services: entry")
    )
    assert [r.message for r in log_records(text)] == [
        "Worker with pid <pid> ready for serving traffic",
        "Worker <pid> loaded services: entry",
    ]


def test_a_number_equal_to_the_pid_elsewhere_is_kept() -> None:
    """After pids wrap around, a worker's pid can equal a request line's content length (a flaky failure once)."""
    text = LOG.format(pid=2768, message="GET /swagger.json?version=3 200 1.234ms 2768")
    assert [r.message for r in log_records(text)] == ["GET /swagger.json?version=3 200 <ms>ms 2768"]
