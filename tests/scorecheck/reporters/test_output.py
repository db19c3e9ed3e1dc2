"""Standard output whose reader leaves early: the text stops, nothing else does."""

from __future__ import annotations

import io
import os

import pytest

from scorecheck.reporters.output import NOTICE, ReaderGoneStream


def test_a_closed_pipe_ends_the_text_once_and_says_so() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    notices = io.StringIO()
    with os.fdopen(write_end, "w") as pipe:
        out = ReaderGoneStream(pipe, notices)
        out.write("first line\n")
        out.flush()  # the reader is gone: the write fails here
        assert out.reader_gone
        assert not out.isatty()
        assert out.write("more\n") == 5  # discarded, as if written
        out.flush()
    # Closing flushed the buffered text into /dev/null instead of failing again.
    assert notices.getvalue() == NOTICE


class _Full(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_other_write_errors_are_not_hidden() -> None:
    out = ReaderGoneStream(_Full(), io.StringIO())
    with pytest.raises(OSError, match="No space left"):
        out.write("x")
    assert not out.reader_gone


def test_an_open_stream_is_written_through() -> None:
    target = io.StringIO()
    out = ReaderGoneStream(target, io.StringIO())
    out.write("a")
    out.flush()
    assert target.getvalue() == "a"
    assert not out.isatty()
