"""Start-up side by side: environment-variable spellings, the start-up log lines, and scripts that must not boot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import SCRIPTS_DIR

from .allowed import CONTRIB_PLAIN_IMPORT, SCRIPT_DIR_MODULES, Allowed
from .cases import BOOT_FAILURES, JSON, OURS_ONLY
from .defects import APP_INSIGHTS_LINE, PRELOAD_SPELLING, TELEMETRY_SPELLING, Defect
from .exchange import SCRIPT_LOADED
from .normalise import normalise
from .pair import OURS, REFERENCE, Launch, Pair, Reference, boot_both, settle, started_pair

pytestmark = pytest.mark.slow

# A well-formed key: with telemetry wrongly on, ours would report it enabled (nothing is ever sent: the
# reference treats these spellings as off, and ours has no exporter installed in the test environment).
KEY = "0f0e0d0c-0b0a-4908-8706-050403020100"
BANNER = re.compile(r"^Application Insights (?:Enabled|Key): .*$", re.MULTILINE)
WORKER_BOOT = re.compile(r"Booting worker with pid: (\d+)")
RECORD_PID = re.compile(r"^\S+ \S+ [DIWEC] \[(\d+)\]")
INSIGHTS_LINE = "Starting up app insights client"


def _case(name: str, value: str, extra: dict[str, str], defect: Defect | None) -> object:
    marks = [defect.mark()] if defect else []
    return pytest.param({name: value, **extra}, id=f"{name}={value}", marks=marks)


ENV_CASES = [
    *(
        _case("AML_APP_INSIGHTS_ENABLED", v, {"AML_APP_INSIGHTS_KEY": KEY}, TELEMETRY_SPELLING)
        for v in ("asdf", "1", "yes")
    ),
    _case("AML_APP_INSIGHTS_ENABLED", "true", {}, None),
    *(_case("WORKER_PRELOAD", v, {}, PRELOAD_SPELLING) for v in ("asdf", "1", "yes")),
    _case("WORKER_PRELOAD", "true", {}, None),
]


def _preloaded(logs: str) -> bool:
    """The script was loaded by a process that is not a worker (the master, before forking)."""
    workers = set(WORKER_BOOT.findall(logs))
    loaders = {
        m.group(1)
        for line in logs.splitlines()
        if any(s in line for s in SCRIPT_LOADED) and (m := RECORD_PID.match(line))
    }
    return bool(loaders - workers)


def _signature(pair: Pair) -> dict[str, object]:
    """What start-up settings decide, per side: running or exit code, banner lines, preloading, one answer."""
    ports = (pair.ours.port, pair.reference.port)
    states = {side: settle(server) for side, server in pair.servers().items()}
    answers = {
        side: normalise(server.raw("POST", "/score", JSON, b"{}"), ports).without("x-ms-run-fn-exec-ms")
        for side, server in pair.servers().items()
        if states[side] == "serving"
    }
    pair.stop()
    return {
        side: (states[side], BANNER.findall(logs), _preloaded(logs), answers.get(side))
        for side, logs in ((side, server.logs()) for side, server in pair.servers().items())
    }


@pytest.mark.parametrize("env", ENV_CASES)
def test_env_spelling(reference: Reference, app_root: Path, env: dict[str, str]) -> None:
    with started_pair(
        reference, Launch(SCRIPTS_DIR / "hello.py", env=env, cwd=app_root), ready=False
    ) as pair:
        signature = _signature(pair)
    assert signature[OURS] == signature[REFERENCE]


@APP_INSIGHTS_LINE.mark()
def test_app_insights_line_on_every_worker_start(reference: Reference, app_root: Path) -> None:
    launch = Launch(SCRIPTS_DIR / "hello.py", ("--worker_count", "2"), cwd=app_root)
    with started_pair(reference, launch) as pair:
        pair.stop()
        counts = {side: len(server.log_matches(INSIGHTS_LINE)) for side, server in pair.servers().items()}
    assert counts[OURS] == counts[REFERENCE]


@pytest.mark.parametrize(("script", "message"), sorted(BOOT_FAILURES.items()))
def test_boot_failure(reference: Reference, app_root: Path, script: str, message: str) -> None:
    results = boot_both(reference, Launch(SCRIPTS_DIR / script, cwd=app_root))
    (ours_code, ours_out), (ref_code, ref_out) = results[OURS], results[REFERENCE]
    assert message in ref_out, f"the reference no longer says {message!r}:\n{ref_out}"
    assert (ours_code, message in ours_out) == (ref_code, True), ours_out


ALLOWED_BOOTS: dict[str, Allowed] = {
    "contrib_imports.py": CONTRIB_PLAIN_IMPORT,
    "with_shadow/score.py": SCRIPT_DIR_MODULES,
}


@pytest.mark.parametrize("script", sorted(OURS_ONLY))
def test_scripts_only_ours_serves(reference: Reference, app_root: Path, script: str) -> None:
    """Allowed differences (see allowed.py): the reference exits 3, ours serves the script."""
    path = SCRIPTS_DIR / script
    cwd = path.parent if OURS_ONLY[script] else app_root
    with started_pair(reference, Launch(path, cwd=cwd), ready=False) as pair:
        states = {side: settle(server) for side, server in pair.servers().items()}
        answer = pair.ours.raw("POST", "/score", JSON, b"{}").status if states[OURS] == "serving" else None
    assert (states, answer) == ({OURS: "serving", REFERENCE: "exit 3"}, 200), ALLOWED_BOOTS[script].why
