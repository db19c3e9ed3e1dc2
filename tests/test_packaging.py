"""The built distribution works on its own: sdist, wheel from the sdist, a fresh venv, the three commands and the
bundled example's gate.

An editable install hides missing package data, subpackages left out of the wheel and broken entry points, because
it imports straight from the source tree; this test installs what a user would get from a release instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from support import REPO_ROOT

# Builds the package and installs its dependencies into a new venv: about a minute.
pytestmark = pytest.mark.slow

BUILD_TIMEOUT = 600.0
COMMAND_TIMEOUT = 300.0
# What the source tree holds that a build must not see: environments, caches, earlier builds.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis", ".scorecheck"
)


def _run(args: list[str], cwd: Path, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
    # A new session, so that a timeout kills the whole group (pip and build start children of their own).
    proc = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"{' '.join(args)} did not finish in {timeout:.0f} s:\n{output}")
    return subprocess.CompletedProcess(args, proc.returncode, output, "")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel (built from the sdist) installed; returns its bin directory."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(REPO_ROOT, source, ignore=_NOT_SOURCE)
    dist = work / "dist"
    built = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], work, BUILD_TIMEOUT)
    assert built.returncode == 0, built.stdout
    wheels = sorted(dist.glob("scorecheck-*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in dist.iterdir())
    assert len(sorted(dist.glob("scorecheck-*.tar.gz"))) == 1
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / "bin"
    pip = _run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheels[0])], work, BUILD_TIMEOUT)
    assert pip.returncode == 0, pip.stdout
    return bindir


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("azmlinfsrv", "--entry_script"),
        ("scorecheck", "run"),
        ("fastml", "server"),
    ],
)
def test_console_scripts_answer_help(installed: Path, tmp_path: Path, command: str, expected: str) -> None:
    result = _run([str(installed / command), "--help"], tmp_path)
    assert result.returncode == 0, result.stdout
    assert expected in result.stdout


def test_installed_package_is_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    code = "import azmlinfsrv, scorecheck; print(azmlinfsrv.__file__); print(scorecheck.__file__)"
    result = _run([str(installed / "python"), "-c", code], tmp_path)
    assert result.returncode == 0, result.stdout
    for line in result.stdout.split():
        assert "site-packages" in line, result.stdout
        assert Path(line).with_name("py.typed").is_file()  # package data made it into the wheel


def test_bundled_example_passes_the_gate(installed: Path, tmp_path: Path) -> None:
    example = REPO_ROOT / "fixtures" / "housing"
    report = tmp_path / "report.xml"
    args = [str(installed / "scorecheck"), "run", str(example / "score.py"), str(example / "cases")]
    result = _run([*args, "--junit-xml", str(report)], tmp_path)
    assert result.returncode == 0, result.stdout
    assert "PASSED" in result.stdout
    assert report.is_file()
