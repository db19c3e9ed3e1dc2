"""Standard output that a reader may close early (`scorecheck run ... | head`).

The console is a view of the run, not its result: when the reader goes away, the run goes on, the JUnit report is
written and the exit code is the verdict, as without the pipe. Only the rest of the console text is dropped.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Optional, TextIO

NOTICE = (
    "scorecheck: standard output was closed by its reader; the run goes on without console output "
    "(the exit code and the report files are unchanged)\n"
)


class ReaderGoneStream:
    """Writes to `stream` until its reader closes the pipe; from then on, discards what it is given."""

    def __init__(self, stream: TextIO, notices: Optional[TextIO] = None) -> None:
        self._stream = stream
        self._notices = notices
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self._stream.write(text)
            except OSError as exc:
                self._on_error(exc)
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except OSError as exc:
                self._on_error(exc)

    def isatty(self) -> bool:
        return not self.reader_gone and self._stream.isatty()

    def _on_error(self, exc: OSError) -> None:
        if not isinstance(exc, BrokenPipeError) and exc.errno != errno.EPIPE:
            raise exc
        self.reader_gone = True
        _silence(self._stream)
        notices = self._notices if self._notices is not None else sys.stderr
        try:
            notices.write(NOTICE)
            notices.flush()
        except OSError:
            pass  # stderr went with it: nothing left to tell


def _silence(stream: TextIO) -> None:
    """Point the stream's descriptor at /dev/null: the text still buffered in it would otherwise fail again
    when the interpreter flushes it at exit, and print an 'Exception ignored' message."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
