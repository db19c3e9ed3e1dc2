"""Reports replace a regular file in one step, and never replace anything else (a device, a FIFO, a link)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import List

import pytest

from scorecheck.reporters.junit import write_atomically


def test_a_regular_file_is_replaced_whole(tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.xml"
    write_atomically(report, "first")
    write_atomically(report, "second")
    assert report.read_text(encoding="utf-8") == "second"
    assert [p.name for p in report.parent.iterdir()] == ["report.xml"]  # no temporary file left


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "junit.xml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.xml"
    link.symlink_to(target)
    write_atomically(link, "new")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "new"


def test_dev_null_stays_a_device() -> None:
    write_atomically(Path("/dev/null"), "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dev_full_is_an_error_and_stays_a_device() -> None:
    with pytest.raises(OSError, match="No space left"):
        write_atomically(Path("/dev/full"), "x" * 100_000)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_fifo_gets_the_text_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: List[str] = []

    def read() -> None:
        with open(fifo, encoding="utf-8") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    write_atomically(fifo, "<testsuites/>")
    reader.join(timeout=30)
    assert received == ["<testsuites/>"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
