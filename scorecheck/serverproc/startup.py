"""Why the server did not start: a headline, the user's part of the traceback, and a hint when one applies.

The CLI's `ServerFailed` and the pytest plugin's setup error both show this: `init() failed: ValueError: no
model (score.py:12)`, then the frames of the user's own files (the server's boot frames say nothing they can
act on), then a hint naming the option that fixes a missing model folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

from .logs import FRAME, exception_line, last_traceback, user_frame, user_traceback
from .process import ServerStartError

MODEL_DIR_VARIABLE = "AZUREML_MODEL_DIR"
_SOURCE_LIMIT = 1_000_000  # bytes of a user file read to look for the variable


@dataclass(frozen=True)
class StartupFailure:
    headline: str
    traceback: Tuple[str, ...]  # the user's frames and the exception lines
    hint: str = ""


def startup_headline(entry_script: Optional[str], err: ServerStartError) -> str:
    """`init() failed: ValueError: no model (score.py:12)`, or the start error's own message."""
    traceback_lines = last_traceback(err.log.splitlines())
    where = user_frame(traceback_lines, _script_dir(entry_script)) or user_frame(traceback_lines)
    what = exception_line(traceback_lines)
    phase = "init() failed" if "init function failed" in err.log else err.message
    return phase + (f": {what}" if what else "") + (f" ({where})" if where else "")


def describe_startup_failure(
    entry_script: Optional[str],
    err: ServerStartError,
    *,
    model_dir: Optional[str],
    env: Mapping[str, str],
    model_dir_option: str,
) -> StartupFailure:
    """The headline, the user's traceback and the --model-dir hint of a failed start."""
    lines = err.log.splitlines()
    mine = tuple(user_traceback(lines, _script_dir(entry_script)))
    given = model_dir or env.get(MODEL_DIR_VARIABLE)
    hint = model_dir_hint(last_traceback(lines), mine, given, model_dir_option)
    return StartupFailure(startup_headline(entry_script, err), mine, hint)


def model_dir_hint(
    traceback_lines: Sequence[str], users: Sequence[str], model_dir: Optional[str], option: str
) -> str:
    """A hint naming `option` when the failure involves AZUREML_MODEL_DIR: the traceback mentions it, or the
    user's failing file reads it while no model folder was given."""
    mentioned = any(MODEL_DIR_VARIABLE in line for line in traceback_lines)
    if not mentioned and (model_dir is not None or not _files_mention(users, MODEL_DIR_VARIABLE)):
        return ""
    if model_dir is None:
        return (
            f"hint: the script reads {MODEL_DIR_VARIABLE}, which was not set: pass {option} DIR, the folder "
            "holding the model files (the deployment sets it to the registered model's folder)"
        )
    return (
        f"hint: the failure involves {MODEL_DIR_VARIABLE}, set to {model_dir} ({option}): check that the "
        "files the script opens are in that folder"
    )


def _files_mention(frame_lines: Sequence[str], text: str) -> bool:
    for line in frame_lines:
        match = FRAME.match(line)
        if match is None:
            continue
        try:
            with open(match.group("file"), "rb") as handle:
                if text.encode() in handle.read(_SOURCE_LIMIT):
                    return True
        except OSError:
            continue
    return False


def _script_dir(entry_script: Optional[str]) -> Optional[str]:
    return os.path.dirname(os.path.abspath(entry_script)) if entry_script else None


__all__ = ["StartupFailure", "describe_startup_failure", "model_dir_hint", "startup_headline"]
