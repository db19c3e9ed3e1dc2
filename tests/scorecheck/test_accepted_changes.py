"""The accepted-changes file: its default place, errors that name the entry and field, and rewriting it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scorecheck import accepted_changes
from scorecheck.accepted_changes import AcceptedChangesError, Signature

RENAMED = Signature("POST /score", "key_renamed", "$.result", "renamed to $.prediction")
STATUS = Signature("POST /score", "status", "status", "200 became 400")


def test_the_signature_reads_as_one_line() -> None:
    assert RENAMED.text == "POST /score key_renamed $.result: renamed to $.prediction"
    assert STATUS.text == "POST /score status: 200 became 400"


def test_the_default_place_is_beside_pyproject_else_beside_the_fixtures(tmp_path: Path) -> None:
    assert (
        accepted_changes.default_path(tmp_path / "pyproject.toml", ["x"])
        == tmp_path / accepted_changes.DEFAULT_NAME
    )
    assert (
        accepted_changes.default_path(None, ["tests/fixtures"])
        == Path("tests") / accepted_changes.DEFAULT_NAME
    )


def test_a_missing_or_empty_file_accepts_nothing(tmp_path: Path) -> None:
    assert not accepted_changes.load(tmp_path / "none.yaml").entries
    (tmp_path / "empty.yaml").write_text("")
    assert not accepted_changes.load(tmp_path / "empty.yaml").entries


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "expected a mapping with an `accepted:` list"),
        ("accepted: [oops]", "accepted[0]: expected a mapping"),
        (
            "accepted:\n  - {endpoint: POST /score, kind: status, path: status}",
            "accepted[0]: `change` must be",
        ),
        (
            "accepted:\n  - {endpoint: a, kind: b, path: c, change: d, why: e}",
            "accepted[0]: unknown field 'why'",
        ),
        ("accepted: [", "cannot read it"),
    ],
)
def test_problems_name_the_file_entry_and_field(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "changes.yaml"
    path.write_text(text)
    with pytest.raises(AcceptedChangesError) as caught:
        accepted_changes.load(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_writing_adds_new_changes_and_keeps_entries_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "changes.yaml"
    first = accepted_changes.write(
        accepted_changes.load(path), [RENAMED], {RENAMED: "renamed on 16 requests"}
    )
    assert first == [RENAMED]
    document = yaml.safe_load(path.read_text())
    document["accepted"][0]["note"] = "v2 renames the output"
    path.write_text(yaml.safe_dump(document))

    added = accepted_changes.write(accepted_changes.load(path), [RENAMED, STATUS], {})
    assert added == [STATUS]
    accepted = accepted_changes.load(path)
    assert list(accepted.entries) == [RENAMED, STATUS]
    assert accepted.entries[RENAMED]["note"] == "v2 renames the output"
    assert path.read_text().startswith("# Behaviour changes against the baseline")
