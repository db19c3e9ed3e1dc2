"""Every sample script both servers can serve, each asked the same normal, edge and hostile requests.

Both servers of each script start once; all scripts are run by the module fixture (two at a time, so boots
overlap) and the tests compare what was kept. Allowed differences: allowed.py; known defects: defects.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support import ServerStartError

from .cases import SAMPLES, Sample, probes_for
from .defects import Defect, probe_defect
from .exchange import Transcript, converse
from .pair import Launch, Reference, started_pair

pytestmark = pytest.mark.slow

# Boots and graceful stops mostly wait (on gunicorn's timers, on polling): overlapping 4 pairs saves time.
PARALLEL_PAIRS = 4


def _launch(sample: Sample, app_root: Path) -> Launch:
    cwd = sample.script.parent if sample.cwd_is_script_dir else app_root
    return Launch(sample.script, sample.args, sample.env, cwd)


def _run(reference: Reference, sample: Sample, app_root: Path) -> Transcript:
    try:
        with started_pair(reference, _launch(sample, app_root)) as pair:
            return converse(pair, probes_for(sample))
    except ServerStartError as exc:
        return Transcript(error=f"{sample.name} did not start: {exc}")


@pytest.fixture(scope="module")
def transcripts(reference: Reference, app_root: Path) -> Iterator[dict[str, Transcript]]:
    with ThreadPoolExecutor(PARALLEL_PAIRS) as pool:
        futures = {s.name: pool.submit(_run, reference, s, app_root) for s in SAMPLES}
        yield {name: future.result() for name, future in futures.items()}


def _defect(sample: Sample, probe: str) -> Defect | None:
    return probe_defect(sample.script.name, sample.decorated, probe)


def _clean_probes(sample: Sample) -> list[str]:
    return [p.name for p in probes_for(sample) if _defect(sample, p.name) is None]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_same_responses(transcripts: dict[str, Transcript], sample: Sample) -> None:
    mismatches = transcripts[sample.name].mismatches(_clean_probes(sample))
    assert not mismatches, "\n".join(mismatches)


def _defect_cases() -> list[object]:
    cases = []
    for sample in SAMPLES:
        found: dict[Defect, list[str]] = {}
        for probe in probes_for(sample):
            defect = _defect(sample, probe.name)
            if defect is not None:
                found.setdefault(defect, []).append(probe.name)
        for defect, names in found.items():
            cases.append(pytest.param(sample, names, id=f"{sample.name}-{defect.key}", marks=defect.mark()))
    return cases


@pytest.mark.parametrize(("sample", "probes"), _defect_cases())
def test_known_defect_responses(
    transcripts: dict[str, Transcript], sample: Sample, probes: list[str]
) -> None:
    mismatches = transcripts[sample.name].mismatches(probes)
    assert not mismatches, "\n".join(mismatches)


def _log_cases() -> list[object]:
    cases = []
    for sample in SAMPLES:
        defects = {d for p in probes_for(sample) if (d := _defect(sample, p.name)) is not None}
        # A defect that changes an answer also changes its request log line (status or length).
        marks = [next(iter(sorted(defects, key=lambda d: d.key))).mark()] if defects else []
        cases.append(pytest.param(sample, id=sample.name, marks=marks))
    return cases


@pytest.mark.parametrize("sample", _log_cases())
def test_same_log_records(transcripts: dict[str, Transcript], sample: Sample) -> None:
    mismatch = transcripts[sample.name].log_mismatch()
    assert mismatch is None, mismatch
