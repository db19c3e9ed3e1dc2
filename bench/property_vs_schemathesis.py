"""Examples per second and false alarms: scorecheck's property phase vs `schemathesis run`, same servers.

For each correct test script (tests/scripts/prop_ok_*.py, and the bundled housing example) this starts one
azmlinfsrv, then runs against it, one after the other:

- `scorecheck run --target URL FIXTURES --max-examples N` (the property phase; the figure is the number of
  requests it sent and its own phase time, read from the JUnit report), and
- `schemathesis run URL/swagger.json?version=3 --max-examples N --continue-on-failure --seed 42`, restricted
  to `POST /score` for the speed figure (test cases generated / its reported run time), and over the whole
  document with its default checks for the false-alarm count (every failure on a correct script is one).

Schemathesis 4.x must be installed in its own environment (it pins hypothesis differently):
    python3.11 -m venv bench/.venv-schemathesis && bench/.venv-schemathesis/bin/pip install 'schemathesis>=4,<5'
Run from the repository root: `.venv/bin/python bench/property_vs_schemathesis.py [--examples 500]
[--repeat 3] [--only "undecorated, validating"]` (`--repeat`: alternating speed runs of both tools, for a ratio
that holds on a busy machine).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scorecheck.serverproc.process import ServerProcess  # noqa: E402

SCHEMATHESIS = REPO / "bench" / ".venv-schemathesis" / "bin" / "schemathesis"
SCORECHECK = Path(sys.executable).with_name("scorecheck")
SCRIPTS = REPO / "tests" / "scripts"
# The same fixtures as tests/integration/test_property_phase.py.
TARGETS: Dict[str, Tuple[Path, Dict[str, str]]] = {
    "undecorated, validating": (
        SCRIPTS / "prop_ok_validating.py",
        {
            "cases.yaml": """
                cases:
                  - request: {json: {"data": [1, 2.5]}}
                    expect: {json: {"total": 3.5, "count": 2}}
                  - request: {json: {"data": [1, 2], "weights": [0.5, 2]}}
                    expect: {json: {"total": 4.5, "count": 2}}
                """
        },
    ),
    "schema-decorated": (
        SCRIPTS / "prop_ok_schema.py",
        {
            "sums.yaml": 'request: {json: {"data": [[1, 2, 3]], "scale": 2}}\nexpect: {json: {"sums": [12.0], "rows": 1}}\n'
        },
    ),
    "rawhttp binary": (
        SCRIPTS / "prop_ok_raw.py",
        {
            "bytes.yaml": "request: {headers: {Content-Type: application/octet-stream}, body_base64: iVBORw0K}\n"
            'expect: {json_subset: {"bytes": 6}}\n'
        },
    ),
    "float outputs": (
        SCRIPTS / "prop_ok_floats.py",
        {
            "softmax.yaml": 'request: {json: {"logits": [0.0, 0.0]}}\nexpect: {json_subset: {"probabilities": [0.5, 0.5]}}\n'
        },
    ),
    "housing example": (REPO / "fixtures" / "housing" / "score.py", {}),
}
SUMMARY = re.compile(r"examples: (?P<counts>[^;]*?) in (?P<seconds>[\d.]+) s")
ST_CASES = re.compile(r"(\d+) generated")
ST_TIME = re.compile(r"in ([\d.]+)s")
ST_FAILURE = re.compile(r"^\s+❌ (ST\d+ [^:]+): (\d+)$", re.MULTILINE)


def _scorecheck(url: str, fixtures: Path, examples: int, work: Path) -> Tuple[int, float, str]:
    report = work / "report.xml"
    args = [str(SCORECHECK), "run", "--target", url, str(fixtures), "--junit-xml", str(report)]
    args += ["--max-examples", str(examples), "--max-time", "600", "--save-failures", ""]
    result = subprocess.run(args, capture_output=True, text=True, check=False, cwd=work)
    root = ET.parse(report).getroot()
    outs = [
        case.findtext("system-out") or ""
        for case in root.iter("testcase")
        if case.get("name") == "server_survives"
    ]
    found = SUMMARY.search(outs[0]) if outs else None
    assert found is not None, result.stdout + result.stderr
    sent = sum(int(part.split()[0]) for part in found.group("counts").split(", "))
    failed = [
        c.get("name", "")
        for c in root.iter("testcase")
        if c.find("failure") is not None or c.find("error") is not None
    ]
    return sent, float(found.group("seconds")), ", ".join(failed) or "none"


def _schemathesis(url: str, examples: int, only_score: bool, work: Path) -> Tuple[int, float, List[str]]:
    args = [str(SCHEMATHESIS), "run", f"{url}/swagger.json?version=3", "--max-examples", str(examples)]
    args += ["--continue-on-failure", "--seed", "42", "--no-color", "--generation-database", "none"]
    if only_score:
        args += ["--include-path", "/score"]
    # Run in the scratch folder: schemathesis writes a `.schemathesis/` folder where it runs.
    result = subprocess.run(args, capture_output=True, text=True, check=False, cwd=work)
    text = result.stdout + result.stderr
    cases = ST_CASES.findall(text)
    seconds = ST_TIME.findall(text)
    if not cases or not seconds:
        raise RuntimeError(f"unexpected schemathesis output:\n{text[-2000:]}")
    failures = [f"{name} x{count}" for name, count in ST_FAILURE.findall(text)]
    return int(cases[-1]), float(seconds[-1]), failures


def _fixtures(files: Dict[str, str], work: Path, script: Path) -> Path:
    if not files:
        return script.parent / "cases"  # the housing example's own fixtures
    folder = work / "cases"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def served(only: Optional[Sequence[str]]) -> Iterator[Tuple[str, str, Path, Path]]:
    """(label, base URL, fixtures, scratch folder) of each chosen script, its server running meanwhile."""
    for label, (script, files) in TARGETS.items():
        if only is not None and label not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp, ServerProcess(str(script)) as server:
            server.wait_ready(time.monotonic() + 60)
            work = Path(tmp)
            yield label, server.base_url, _fixtures(files, work, script), work


def _speed_rounds(
    url: str, fixtures: Path, examples: int, work: Path, repeat: int
) -> Tuple[List[float], List[float], int, float, str, int, float]:
    """`repeat` alternating runs of both tools on the same server: examples per second of each, and the last
    figures of each (requests, seconds, failed checks; test cases, seconds)."""
    ours: List[float] = []
    theirs: List[float] = []
    for _ in range(repeat):
        sent, seconds, failed = _scorecheck(url, fixtures, examples, work)
        st_cases, st_seconds, _ = _schemathesis(url, examples, True, work)
        ours.append(sent / seconds)
        theirs.append(st_cases / st_seconds)
    return ours, theirs, sent, seconds, failed, st_cases, st_seconds


def _report(label: str, speeds: Tuple[List[float], List[float], int, float, str, int, float]) -> None:
    ours, theirs, sent, seconds, failed, st_cases, st_seconds = speeds
    ratio = statistics.median(a / b for a, b in zip(ours, theirs))
    print(f"{label}:")
    print(
        f"  scorecheck:   {sent} requests in {seconds:.2f} s = {sent / seconds:.0f}/s; failed checks: {failed}"
    )
    print(
        f"  schemathesis: {st_cases} test cases (POST /score) in {st_seconds:.2f} s = {st_cases / st_seconds:.0f}/s"
    )
    if len(ours) > 1:
        print(
            f"  {len(ours)} alternating runs, examples/s: scorecheck {statistics.median(ours):.0f}, schemathesis "
            f"{statistics.median(theirs):.0f}; ratio (median of run pairs) {ratio:.2f}x"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples", type=int, default=500, help="--max-examples for both tools (default 500)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternating speed runs of both tools per script (default 1)"
    )
    parser.add_argument("--only", nargs="*", default=None, help="labels of the scripts to run (default all)")
    options = parser.parse_args()
    if not SCHEMATHESIS.exists():
        print(f"schemathesis not found at {SCHEMATHESIS}; see this file's docstring", file=sys.stderr)
        return 2
    version = subprocess.run(
        [str(SCHEMATHESIS), "--version"], capture_output=True, text=True, check=False
    ).stdout
    print(f"{version.strip()}; scorecheck from {SCORECHECK}; --max-examples {options.examples}\n")
    for label, url, fixtures, work in served(options.only):
        speeds = _speed_rounds(url, fixtures, options.examples, work, options.repeat)
        all_cases, _, alarms = _schemathesis(url, options.examples, False, work)
        _report(label, speeds)
        print(
            f"  schemathesis, whole document, default checks: {all_cases} test cases, failures: {alarms or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
