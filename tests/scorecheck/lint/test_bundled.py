"""The lint on every bundled script: no finding on the correct ones, and on the others exactly their real pitfall.

Every expected finding below was checked by hand against the script: these scripts exist to show the pitfall
(a sample that prints, returns NaN and numpy, breaks the init()/run() contract, sits beside shadowed modules).
"""

from __future__ import annotations

from typing import Dict, List

import pytest

from scorecheck.lint import LintError, lint_script
from tests.scorecheck.sc_support import HOUSING, REPO, SCRIPTS

# Modules the scripts import, and the fastml services: not entry scripts.
NOT_ENTRY_SCRIPTS = (
    "fastml/",
    "with_helper/helper.py",
    "with_shadow/config.py",
    "with_shadow/utils.py",
    "memory_patterns.py",
)
EXPECTED: Dict[str, List[str]] = {
    "no_init.py": ["entry-contract"],
    "no_run.py": ["entry-contract"],
    "raw_and_schema.py": ["entry-contract"],
    "run_no_args.py": ["entry-contract"],
    "run_only_headers.py": ["entry-contract"],
    "varargs_run.py": ["entry-contract"],
    "fast_raw.py": ["print-logging"],  # its `print` outcome is a print, the script logs nothing
    "outcomes.py": ["print-logging"],
    "printing.py": ["print-logging"],
    "returns.py": ["nan-return", "nan-return", "numpy-return"],
    "with_shadow/score.py": ["shadowed-module", "shadowed-module"],
    "lint_pitfalls/score.py": [
        "relative-model-path",
        "print-logging",
        "numpy-return",
        "nan-return",
        "stray-config-json",
    ],
}


def entry_scripts() -> List[str]:
    found = [p.relative_to(SCRIPTS).as_posix() for p in sorted(SCRIPTS.rglob("*.py"))]
    return [name for name in found if not name.startswith(NOT_ENTRY_SCRIPTS) and name != "syntax_error.py"]


@pytest.mark.parametrize("name", entry_scripts())
def test_each_sample_script_gets_exactly_its_real_pitfalls(name: str) -> None:
    findings = lint_script(SCRIPTS / name)
    assert [f.rule for f in findings] == EXPECTED.get(name, []), [f.location for f in findings]


def test_the_bundled_example_is_clean() -> None:
    assert lint_script(HOUSING / "score.py") == []


def test_the_expectations_name_real_scripts() -> None:
    assert set(EXPECTED) <= set(entry_scripts())
    assert len(entry_scripts()) > 70  # the walk found the samples, the detection suite's scripts included


def test_a_syntax_error_names_the_file_and_line() -> None:
    with pytest.raises(LintError, match=r"^tests/scripts/syntax_error\.py:4:\d+: not valid Python: "):
        lint_script(REPO / "tests/scripts/syntax_error.py", "tests/scripts/syntax_error.py")
