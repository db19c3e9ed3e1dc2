"""Why the server did not start, in one line: the phase, the user's exception and the file and line it came from.

The CLI's `ServerFailed` message and the pytest plugin's setup error both start with this headline.
"""

from __future__ import annotations

import os
from typing import Optional

from .logs import exception_line, last_traceback, user_frame
from .process import ServerStartError


def startup_headline(entry_script: Optional[str], err: ServerStartError) -> str:
    """`init() failed: ValueError: no model (score.py:12)`, or the start error's own message."""
    traceback_lines = last_traceback(err.log.splitlines())
    script_dir = os.path.dirname(os.path.abspath(entry_script)) if entry_script else None
    where = user_frame(traceback_lines, script_dir) or user_frame(traceback_lines)
    what = exception_line(traceback_lines)
    phase = "init() failed" if "init function failed" in err.log else err.message
    return phase + (f": {what}" if what else "") + (f" ({where})" if where else "")
