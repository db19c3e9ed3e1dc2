"""Fixture files as test items: one `CaseItem` per case, judged by the gate's own case verdict."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Tuple

import pytest

# The class behind `pytest.fail`, imported by name so that it can be subclassed (and type-checked).
from _pytest.outcomes import Failed

from ..model import Case, FixtureError
from ..phases.replay import judge_case
from .clients import ScoreRequest
from .fixtures import usable
from .state import MARKER, STATE, markable, state_of


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[FixtureFile]:
    state = parent.config.stash.get(STATE, None)
    if state is None or not state.settings.fixtures:
        return None
    found = state.load_catalog(parent.config).lookup(file_path)
    if found is None:
        return None
    node = FixtureFile.from_parent(parent, path=file_path)
    node.cases, node.problems = found
    return node


class FixtureFile(pytest.File):
    """A fixture file: its cases, or a collection error listing every problem (as the CLI does)."""

    cases: List[Case]
    problems: List[FixtureError]

    def collect(self) -> Iterable[pytest.Item]:
        if self.problems:
            listing = "\n".join(f"  {problem.key}: {problem.message}" for problem in self.problems)
            count = len(self.problems)
            raise self.CollectError(f"scorecheck: {count} problem(s) in fixture file {self.path}:\n{listing}")
        for case in self.cases:
            yield CaseItem.for_case(self, case)


def item_name(case: Case) -> str:
    """The case's `name:`; unnamed cases are called after their file, as in the CLI minus the folder
    (the node id already holds it)."""
    relative = case.file.relative_to(case.root).as_posix()
    default = relative if case.index is None else f"{relative}[{case.index}]"
    if case.name != default:
        return case.name
    return case.file.name if case.index is None else f"{case.file.name}[{case.index}]"


class CaseItem(pytest.Function):
    """One fixture case. A Function (not a bare Item) so that it gets the session fixtures."""

    case: Case

    @classmethod
    def for_case(cls, parent: FixtureFile, case: Case) -> CaseItem:
        item = cls.from_parent(parent, name=item_name(case), callobj=_case_test(case))
        item.case = case
        item.add_marker(MARKER)
        for tag in filter(markable, case.tags):
            item.add_marker(tag)
        if case.skip is not None:
            item.add_marker(pytest.mark.skip(reason=case.skip))
        return item

    def reportinfo(self) -> Tuple[Path, int, str]:
        # Line 0 (shown as 1): skip reports need a line, and the loader does not track one per case.
        # The "domain" titles the failure; it must not end the node id, or pytest would take it for a
        # dotted Python name and show `ok.yaml` as `ok::yaml`.
        return self.path, 0, f"{self.path.name}: {self.name}"


def _case_test(case: Case) -> Callable[[ScoreRequest, pytest.FixtureRequest], None]:
    def score_case(score_request: ScoreRequest, request: pytest.FixtureRequest) -> None:
        check_case(score_request, case, _replay(request))

    return score_case


def _replay(request: pytest.FixtureRequest) -> str:
    settings = state_of(request.config).settings
    words = ["pytest", *settings.replay_args, request.node.nodeid]
    return " ".join(shlex.quote(word) for word in words)


def check_case(sender: ScoreRequest, case: Case, replay: str) -> None:
    """The gate's verdict on the case; raises CaseFailed with the CLI's diff, curl and log lines."""
    usable(sender.server)
    verdict = judge_case(sender.client, case, replay=replay, server=sender.server)
    if verdict.outcome != "passed":
        raise CaseFailed(verdict.message, verdict.details)


class CaseFailed(Failed):
    """A fixture case failed; `summary` is the one-line message, the text is the CLI's details."""

    def __init__(self, summary: str, details: str) -> None:
        super().__init__(details, pytrace=False)
        self.summary = summary
