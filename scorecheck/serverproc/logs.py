"""Reading the server's log text: per-request access lines and the user's traceback.

Both the runner (to name the failing file and line) and the console (to show it) need this, so it lives apart.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Sequence

# The server's own per-request line for `/score` and `/swagger.json`: `POST /score 200 0.516ms 28`.
_ACCESS = r"\b{method} {path}(?:\?\S*)? {status} \d+(?:\.\d+)?ms\b"
# The HTTP layer's access line (combined format, on gunicorn and on our waitress runner), for every route and
# logged last of a request's lines: `"POST /infer HTTP/1.1" 500 163`.
_HTTP_ACCESS = r'"{method} {path}(?:\?\S*)? HTTP/\d(?:\.\d)?" {status} '
FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_TRACEBACK_START = "Traceback (most recent call last):"
# A log record header (`2026-11-21 04:48:29,449 I [7776] azmlinfsrv - `) ends a traceback.
_RECORD = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z] \[\d+\] ")


def access_line_pattern(method: str, path: str, status: int, *, http_layer: bool = False) -> re.Pattern[str]:
    """The server's own access line for this request, or with `http_layer` the HTTP layer's."""
    bare = path.split("?", 1)[0] or "/"
    template = _HTTP_ACCESS if http_layer else _ACCESS
    return re.compile(template.format(method=re.escape(method.upper()), path=re.escape(bare), status=status))


def has_access_line(
    lines: Sequence[str], method: str, path: str, status: int, *, http_layer: bool = False
) -> bool:
    pattern = access_line_pattern(method, path, status, http_layer=http_layer)
    return any(pattern.search(line) for line in lines)


def has_any_access_line(lines: Sequence[str], method: str, path: str, status: int) -> bool:
    """Either access line of this request: both come after the request's other lines (its traceback)."""
    return has_access_line(lines, method, path, status, http_layer=True) or has_access_line(
        lines, method, path, status
    )


def last_traceback(lines: Sequence[str]) -> List[str]:
    """The log record holding the last Python traceback in `lines` (chained causes included), or []."""
    starts = [i for i, line in enumerate(lines) if _TRACEBACK_START in line]
    if not starts:
        return []
    last = starts[-1]
    # Start at the record that logged it ("Encountered Exception ..."), so chained causes come along.
    records = [i for i in range(last + 1) if _RECORD.match(lines[i])]
    first = records[-1] if records else starts[0]
    end = last + 1
    while end < len(lines) and not _RECORD.match(lines[end]):
        end += 1
    return list(lines[first:end])


def user_frame(traceback_lines: Sequence[str], user_dir: Optional[str] = None) -> Optional[str]:
    """`file:line` of the innermost frame in the user's code.

    With `user_dir`, that is the innermost frame below it; otherwise the innermost frame outside
    site-packages and the standard library.
    """
    found: Optional[str] = None
    for line in traceback_lines:
        match = FRAME.match(line)
        if not match:
            continue
        path = match.group("file")
        mine = path.startswith(user_dir) if user_dir else not _is_library(path)
        if mine:
            found = f"{path}:{match.group('line')}"
    return found


def user_traceback(lines: Sequence[str], user_dir: Optional[str]) -> List[str]:
    """The last traceback in `lines` cut down to what the user can act on: the frames of their own files with
    their source lines, and the exception lines. The server's own frames (its boot, its import machinery)
    are left out. Own files are those below `user_dir` or, when none is, those outside the libraries."""
    traceback_lines = last_traceback(lines)
    if user_dir:
        below = user_dir.rstrip("/") + "/"
        mine = _frames_kept(traceback_lines, lambda path: path.startswith(below))
        if any(FRAME.match(line) for line in mine):
            return mine
    return _frames_kept(traceback_lines, lambda path: not _is_library(path) and "/azmlinfsrv/" not in path)


def _frames_kept(traceback_lines: Sequence[str], is_users: Callable[[str], bool]) -> List[str]:
    kept: List[str] = []
    keep = False
    for line in traceback_lines:
        frame = FRAME.match(line)
        if frame is not None:
            keep = is_users(frame.group("file"))
        elif not line.startswith((" ", "\t")):  # not a frame's source line or its ^^^ marks
            keep = False
            text = _TRACEBACK_START if _TRACEBACK_START in line else line
            kept += [text] if text.strip() else []
            continue
        kept += [line] if keep else []
    return kept


def _is_library(path: str) -> bool:
    return "site-packages" in path or "/lib/python" in path or path.startswith("<")


def exception_line(traceback_lines: Sequence[str]) -> str:
    """The final `ValueError: boom` line of a traceback."""
    for line in reversed(traceback_lines):
        if line.strip() and not line.startswith((" ", "\t")) and not _RECORD.match(line):
            return line.strip()
    return ""
