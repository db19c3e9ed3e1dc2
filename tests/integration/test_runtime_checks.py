"""The runtime suite through the real CLI: memory_growth on leaking, grow-once and flat scripts, and startup_time.

The memory scripts are the bundled housing example with one line added at the top of run(), which calls
`tests/scripts/memory_patterns.py` (a leak of 100 kB per call, a 30 MB cache filled once, or nothing), and they
run against the example's own fixtures with default settings: the kind of run the check must judge right.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from subprocess import CompletedProcess
from typing import Iterator, Tuple

import pytest

from scorecheck.serverproc.process import ServerProcess
from tests.scorecheck.junit_checks import Report
from tests.scorecheck.sc_support import ECHO, HOUSING, SCRIPTS, report_at, scorecheck, write

pytestmark = pytest.mark.slow

HOOK = "    rows = np.asarray(data, dtype=float)\n"
OK = 'request: {json: {"tag": "ok"}}\nexpect: {json: {"echo": {"tag": "ok"}}}\n'


def housing_with(pattern: str, folder: Path) -> Path:
    """The housing script calling memory_patterns.grow() at the top of run(), in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCRIPTS / "memory_patterns.py", folder / "memory_patterns.py")
    text = (HOUSING / "score.py").read_text(encoding="utf-8")
    assert HOOK in text, "the housing example's run() changed: update HOOK"
    text = text.replace("import numpy as np\n", "import memory_patterns\nimport numpy as np\n", 1)
    script = folder / "score.py"
    script.write_text(text.replace(HOOK, "    memory_patterns.grow()\n" + HOOK, 1), encoding="utf-8")
    return script


def run_housing(pattern: str, tmp_path: Path, *extra: str) -> Tuple[CompletedProcess[str], Report]:
    script = housing_with(pattern, tmp_path / pattern)
    args = ["run", str(script), str(HOUSING / "cases"), "--model-dir", str(HOUSING / "model")]
    result = scorecheck([*args, "--env", f"SC_MEMORY={pattern}", *extra], cwd=tmp_path)
    return result, report_at(tmp_path / "TEST-scorecheck.xml")


def test_a_leaking_script_fails_with_the_curve(tmp_path: Path) -> None:
    result, report = run_housing("leak", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    case = report.case("memory_growth", "scorecheck.runtime.memory")
    assert (case.result, case.type) == ("failure", "MemoryGrowth")
    assert case.message is not None
    assert case.message.startswith("worker memory grows ")
    assert "limit 20 kB" in case.message
    assert case.text is not None
    assert "requests       RSS (MB)   change" in case.text
    assert "tracemalloc" in case.text
    # Every other case passes: the leak is the only finding.
    others = [c for c in report.cases if c.name != "memory_growth"]
    assert all(c.result is None for c in others), [(c.name, c.message) for c in others if c.result]
    assert "worker memory: fitted growth" in result.stdout


@pytest.mark.parametrize("pattern", ["once", "flat"])
def test_a_cache_filled_once_and_a_flat_script_pass(pattern: str, tmp_path: Path) -> None:
    result, report = run_housing(pattern, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    case = report.case("memory_growth")
    assert case.result is None
    assert case.system_out is not None
    assert case.system_out.startswith("worker memory flat: ")


def test_a_higher_limit_lets_the_leak_pass(tmp_path: Path) -> None:
    result, report = run_housing("leak", tmp_path, "--max-memory-growth", "100000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert report.case("memory_growth").result is None


def test_too_few_requests_are_not_checked_and_no_memory_check_reports_nothing(tmp_path: Path) -> None:
    write(tmp_path / "cases" / "ok.yaml", OK)
    result = scorecheck(["run", str(ECHO), "cases", "--no-properties"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    case = report_at(tmp_path / "TEST-scorecheck.xml").case("memory_growth")
    assert case.result == "skipped"
    assert case.message is not None
    assert case.message.startswith("not checked: 0 requests served after the warm-up")
    assert "200 needed" in case.message

    result = scorecheck(["run", str(ECHO), "cases", "--no-properties", "--no-memory-check"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [c.name for c in report_at(tmp_path / "TEST-scorecheck.xml").cases]
    assert "memory_growth" not in names
    assert "startup_time" in names


def test_a_slow_init_over_the_budget_fails_with_its_log_lines(tmp_path: Path) -> None:
    slow = SCRIPTS / "sc_slow_init.py"
    write(tmp_path / "cases" / "ok.yaml", 'request: {json: {"x": 1}}\n')
    args = ["run", str(slow), "cases", "--no-properties", "--no-memory-check"]
    result = scorecheck([*args, "--max-startup-s", "1"], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    case = report_at(tmp_path / "TEST-scorecheck.xml").case("startup_time", "scorecheck.runtime.startup")
    assert (case.result, case.type) == ("failure", "StartupBudget")
    assert case.message is not None
    assert "over the budget of 1 s (--max-startup-s)" in case.message
    assert "init() took 1." in case.message
    assert case.text is not None
    lines = case.text.splitlines()
    assert any("Invoking user's init function" in line for line in lines)
    assert any("sc_slow_init: loading the model" in line for line in lines)
    assert any("init() finished in 1." in line for line in lines)
    assert "start-up: launch to ready" in result.stdout

    # The same start-up within a budget passes.
    result = scorecheck([*args, "--max-startup-s", "60"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    case = report_at(tmp_path / "TEST-scorecheck.xml").case("startup_time")
    assert case.result is None
    assert case.system_out is not None
    assert "init() took 1." in case.system_out


@pytest.fixture
def target() -> Iterator[ServerProcess]:
    with ServerProcess(str(ECHO)) as process:
        process.wait_ready(time.monotonic() + 60)
        yield process


def test_a_remote_target_is_not_checked(target: ServerProcess, tmp_path: Path) -> None:
    write(tmp_path / "cases" / "ok.yaml", OK)
    result = scorecheck(["run", "cases", "--target", target.base_url, "--no-properties"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = report_at(tmp_path / "TEST-scorecheck.xml")
    for name in ("memory_growth", "startup_time"):
        case = report.case(name)
        assert case.result == "skipped"
        assert case.message is not None
        assert case.message.startswith("not checked: remote target")
