"""Pre-flight: every problem that would spoil a run is found before a server starts, naming path and fix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from scorecheck.cli.preflight import preflight
from scorecheck.config import RunConfig


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunConfig:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "score.py").write_text("def init(): pass\ndef run(data): return data\n")
    return RunConfig(entry_script="score.py", fixtures=("cases",))


def test_a_usable_setup_has_no_problem(config: RunConfig) -> None:
    assert preflight(config) == []
    assert preflight(replace(config, junit_xml="new/deeper/report.xml", save_failures="new/failures")) == []


def test_a_missing_or_folder_script_is_named(config: RunConfig, tmp_path: Path) -> None:
    [problem] = preflight(replace(config, entry_script="nothere.py"))
    assert problem.startswith("SCORE_PY nothere.py: no such file")
    assert str(tmp_path) in problem
    (tmp_path / "app").mkdir()
    [problem] = preflight(replace(config, entry_script="app"))
    assert problem == "SCORE_PY app: is a folder; give the scoring script's .py file"
    assert preflight(replace(config, entry_script="nothere.py", target="http://x")) == []


def test_output_paths_must_be_writable_files_and_folders(config: RunConfig, tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "plain").write_text("")
    problems = preflight(replace(config, junit_xml="reports", save_failures="plain"))
    assert problems == [
        "--junit-xml reports: is a folder; give a file path such as reports/TEST-scorecheck.xml",
        "--save-failures plain: is a file, not a folder; give a folder (or '' to save nothing)",
    ]
    [problem] = preflight(replace(config, junit_xml="plain/report.xml"))
    assert problem == "--junit-xml plain/report.xml: plain is a file, not a folder; give another path"


def test_an_unwritable_place_is_found_by_trying(config: RunConfig) -> None:
    # /proc refuses new files even to root, whom every permission test lets through.
    [problem] = preflight(replace(config, junit_xml="/proc/reports/TEST.xml"))
    assert problem.startswith("--junit-xml /proc/reports/TEST.xml: cannot write in /proc")


def test_save_failures_is_not_checked_when_nothing_is_saved(config: RunConfig, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    assert preflight(replace(config, save_failures="plain", properties=False)) == []
    assert preflight(replace(config, save_failures=None)) == []
