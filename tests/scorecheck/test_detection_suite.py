"""The detection benchmark's sample scripts (tests/scripts/detection/, run by bench/detection.py) are well-formed.

Only their shape is checked here: every folder has a valid expect.yaml, and every fixture file loads through
the `scorecheck run` CLI. The benchmark's figures are measurements, not assertions (see bench/README.md).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from .sc_support import CLI_TIMEOUT, REPO, SCORECHECK, SCRIPTS, cli_env

DETECTION = SCRIPTS / "detection"
BENCH = REPO / "bench" / "detection.py"


def test_every_detection_script_folder_is_well_formed(tmp_path: Path) -> None:
    listing = subprocess.run(
        [sys.executable, str(BENCH), "--list"], capture_output=True, text=True, timeout=60, check=False
    )
    assert listing.returncode == 0, listing.stderr
    counts = re.search(r"(\d+) planted-bug scripts, (\d+) correct scripts", listing.stdout)
    assert counts is not None, listing.stdout
    planted, correct = int(counts[1]), int(counts[2])
    assert planted >= 12
    assert correct >= 8
    cases = sorted(DETECTION.glob("*/cases"))
    assert len(cases) == planted + correct  # no folder without an expect.yaml

    # `-k` selecting nothing makes the CLI load and validate every fixture file of the folder, then stop
    # before any server starts: a malformed file is listed as a problem, a clean folder gets "none selected".
    # One CLI per folder (case names repeat across folders), all at once to keep the test fast.
    outputs = _load_each(cases, tmp_path)
    for folder, stderr in outputs.items():
        assert "problem(s)" not in stderr, stderr
        assert re.search(r"\d+ cases found, none selected", stderr), f"{folder}: {stderr}"


def _load_each(cases: list[Path], cwd: Path) -> dict[Path, str]:
    procs = {
        folder: subprocess.Popen(
            [
                str(SCORECHECK),
                "run",
                str(folder.parent / "score.py"),
                str(folder),
                "-k",
                "no_case_has_this_name",
            ],
            cwd=cwd,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for folder in cases
    }
    try:
        return {folder: proc.communicate(timeout=CLI_TIMEOUT)[1] for folder, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
