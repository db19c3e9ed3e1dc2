"""The start-up failure description: the user's frames only, and the hint that names --model-dir."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from scorecheck.serverproc.logs import user_traceback
from scorecheck.serverproc.process import ServerStartError
from scorecheck.serverproc.startup import StartupFailure, describe_startup_failure

RECORD = "2026-11-21 04:48:29,449 E [7776] azmlinfsrv.user_script - "


def _log(script: Path, source: str, exception: str) -> str:
    return "\n".join(
        [
            f"{RECORD}init function failed",
            f"{RECORD}Encountered Exception Traceback (most recent call last):",
            '  File "/srv/venv/lib/python3.11/site-packages/azmlinfsrv/entry.py", line 214, in call_init',
            "    entry.init()",
            f'  File "{script}", line 5, in init',
            f"    {source}",
            "    ^^^^^^^^^^^^",
            '  File "<frozen posixpath>", line 76, in join',
            exception,
            "2026-11-21 04:48:29,451 I [7776] azmlinfsrv - shutting down",
        ]
    )


def _describe(
    script: Path, log: str, model_dir: Optional[str] = None, env: Optional[Dict[str, str]] = None
) -> StartupFailure:
    err = ServerStartError("the server exited with code 3 before it was ready", log, 3)
    return describe_startup_failure(
        str(script), err, model_dir=model_dir, env=env or {}, model_dir_option="--model-dir"
    )


def test_only_the_users_frames_and_the_exception_are_kept(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    log = _log(script, 'path = os.path.join(os.getenv("MODELS"), "m.pkl")', "TypeError: not NoneType")
    assert user_traceback(log.splitlines(), str(tmp_path)) == [
        "Traceback (most recent call last):",
        f'  File "{script}", line 5, in init',
        '    path = os.path.join(os.getenv("MODELS"), "m.pkl")',
        "    ^^^^^^^^^^^^",
        "TypeError: not NoneType",
    ]


def test_without_frames_below_the_script_folder_library_and_server_frames_still_go(tmp_path: Path) -> None:
    helper = Path("/home/me/lib/helpers.py")
    lines = _log(helper, "load()", "ValueError: boom").splitlines()
    kept = user_traceback(lines, str(tmp_path / "app"))
    assert [line for line in kept if line.lstrip().startswith("File")] == [
        f'  File "{helper}", line 5, in init'
    ]


def test_a_failure_reading_an_unset_model_dir_names_the_option(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    log = _log(script, 'os.path.join(os.getenv("AZUREML_MODEL_DIR"), "m")', "TypeError: not NoneType")
    failure = _describe(script, log)
    assert "AZUREML_MODEL_DIR" in failure.hint
    assert "pass --model-dir DIR" in failure.hint
    assert failure.headline.startswith("init() failed: TypeError: not NoneType")
    assert not any("azmlinfsrv/entry.py" in line for line in failure.traceback)


def test_the_hint_also_comes_when_only_the_failing_file_reads_the_variable(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    script.write_text('MODEL_DIR = os.getenv("AZUREML_MODEL_DIR")\n')
    log = _log(script, 'open(os.path.join(MODEL_DIR, "m"))', "TypeError: not NoneType")
    assert "pass --model-dir DIR" in _describe(script, log).hint
    # Given a model folder (by option or environment), an unrelated failure gets no hint.
    assert _describe(script, log, model_dir="model").hint == ""
    assert _describe(script, log, env={"AZUREML_MODEL_DIR": "m"}).hint == ""


def test_a_model_dir_that_was_given_is_named_when_the_message_mentions_the_variable(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    log = _log(script, "load()", "KeyError: 'AZUREML_MODEL_DIR'")
    hint = _describe(script, log, model_dir="model").hint
    assert "set to model (--model-dir)" in hint


def test_an_unrelated_failure_gets_no_hint(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    script.write_text("def init():\n    raise ValueError('boom')\n")
    assert _describe(script, _log(script, "raise ValueError('boom')", "ValueError: boom")).hint == ""
