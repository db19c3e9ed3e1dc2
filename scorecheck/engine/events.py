"""The events a run opens with, and the report of malformed fixtures (a run that never started a server)."""

from __future__ import annotations

import platform
from typing import Dict, Generator, List, Sequence

from .. import __version__
from ..config import RunConfig, property_seed
from ..model import Case, CaseFinished, Event, FixtureError, RunFinished, RunStarted
from ..serverproc.client import redact_url

PRODUCT = "azmlinfsrv"


def run_started(config: RunConfig, cases: Sequence[Case], base_url: str, version: str) -> RunStarted:
    properties = (
        ("python", platform.python_version()),
        ("base_url", redact_url(base_url)),
        ("fixtures", " ".join(config.fixtures)),
        ("mode", "target" if config.target else "subprocess"),
        ("scorecheck_version", __version__),
        *((("shard", str(config.shard)),) if config.shard is not None else ()),
    )
    return RunStarted(
        entry_script=config.entry_script or "",
        base_url=redact_url(base_url),
        server_version=version or PRODUCT,
        seed=property_seed(config),
        planned=tuple(case.name for case in cases),
        properties=properties,
    )


def fixture_error_events(
    config: RunConfig, errors: Sequence[FixtureError], exit_code: int
) -> Generator[Event, None, None]:
    """Malformed fixtures as a report of their own: one error case per file listing all its problems."""
    by_file: Dict[str, List[FixtureError]] = {}
    for error in errors:
        by_file.setdefault(error.file.as_posix(), []).append(error)
    yield run_started(config, (), "", "")
    for name, problems in by_file.items():
        first = problems[0]
        message = f"{len(problems)} problem(s); first: {first.key}: {first.message}"
        details = "\n".join(str(problem) for problem in problems)
        yield CaseFinished(
            "replay", "fixtures", name, "error", 0.0, message=message, kind="FixtureError", details=details
        )
    yield RunFinished(elapsed_s=0.0, exit_code=exit_code)
