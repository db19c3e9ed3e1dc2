"""Request-id headers (known and unknown paths, at and over the limit) and CORS, side by side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SCRIPTS_DIR

from .cases import ORIGINS, SCRIPT_SET_CORS, Probe, cors_probes, id_probes, long_id_probes
from .defects import CORS_DOUBLE_ORIGIN, DEPRECATION_BEFORE_431, LONG_ID_UNKNOWN_PATH
from .exchange import Transcript, converse
from .pair import Launch, Reference, started_pair

pytestmark = pytest.mark.slow

LONG_IDS_UNKNOWN_PATH = long_id_probes("/nope")
LONG_DEPRECATED_IDS = [
    p for path in ("/", "/score") for p in long_id_probes(path) if "x-ms-request-id" in p.name
]


def _converse(reference: Reference, launch: Launch, probes: list[Probe]) -> Iterator[Transcript]:
    with started_pair(reference, launch) as pair:
        yield converse(pair, probes)


def _assert_same(transcript: Transcript, probes: list[Probe]) -> None:
    mismatches = transcript.mismatches(p.name for p in probes)
    assert not mismatches, "\n".join(mismatches)


@pytest.fixture(scope="module")
def ids(reference: Reference, app_root: Path) -> Iterator[Transcript]:
    launch = Launch(SCRIPTS_DIR / "echo.py", cwd=app_root)
    yield from _converse(reference, launch, [*id_probes(), *LONG_IDS_UNKNOWN_PATH])


def test_request_id_headers(ids: Transcript) -> None:
    _assert_same(ids, id_probes())


@LONG_ID_UNKNOWN_PATH.mark()
def test_over_long_ids_on_unknown_path(ids: Transcript) -> None:
    _assert_same(ids, LONG_IDS_UNKNOWN_PATH)


def test_request_id_log_records(ids: Transcript) -> None:
    mismatch = ids.log_mismatch()
    assert mismatch is None, mismatch


@pytest.fixture(scope="module")
def deprecated_ids(reference: Reference, app_root: Path) -> Iterator[Transcript]:
    yield from _converse(reference, Launch(SCRIPTS_DIR / "echo.py", cwd=app_root), LONG_DEPRECATED_IDS)


def test_over_long_deprecated_id_answers(deprecated_ids: Transcript) -> None:
    _assert_same(deprecated_ids, LONG_DEPRECATED_IDS)


@DEPRECATION_BEFORE_431.mark()
def test_over_long_deprecated_id_log_records(deprecated_ids: Transcript) -> None:
    mismatch = deprecated_ids.log_mismatch()
    assert mismatch is None, mismatch


@pytest.fixture(scope="module")
def cors(reference: Reference, app_root: Path) -> Iterator[Transcript]:
    launch = Launch(SCRIPTS_DIR / "hello.py", ("--access_control_allow_origins", ORIGINS), cwd=app_root)
    yield from _converse(reference, launch, cors_probes())


def test_cors_for_listed_origins(cors: Transcript) -> None:
    _assert_same(cors, cors_probes())


@pytest.fixture(scope="module")
def cors_any_raw(reference: Reference, app_root: Path) -> Iterator[Transcript]:
    """`*` allows every origin; with @rawhttp the preflight reaches run() and CORS headers come on top."""
    launch = Launch(SCRIPTS_DIR / "raw.py", ("--access_control_allow_origins", "*"), cwd=app_root)
    yield from _converse(reference, launch, cors_probes())


def test_cors_any_origin_with_rawhttp(cors_any_raw: Transcript) -> None:
    _assert_same(cors_any_raw, cors_probes())


@pytest.fixture(scope="module")
def cors_script_header(reference: Reference, app_root: Path) -> Iterator[Transcript]:
    launch = Launch(
        SCRIPTS_DIR / "cors_own_header.py", ("--access_control_allow_origins", ORIGINS), cwd=app_root
    )
    yield from _converse(reference, launch, SCRIPT_SET_CORS)


@CORS_DOUBLE_ORIGIN.mark()
def test_script_set_cors_header_is_kept(cors_script_header: Transcript) -> None:
    _assert_same(cors_script_header, SCRIPT_SET_CORS)
