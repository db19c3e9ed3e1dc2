"""The accepted-changes file: behaviour changes against the baseline that the team has reviewed and accepted.

A YAML document with one entry per change, keyed by the change's signature (the endpoint, the kind, the JSON
path with list indices as `[*]`, and a short value-free description), so an entry matches the same change on
every run whatever the request it is seen on. `note` is free text for the reviewer's reason; rewriting the file
(`--accept-changes`) keeps every entry and note and adds the new changes. See docs/scorecheck.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml

DEFAULT_NAME = "scorecheck-accepted-changes.yaml"
FIELDS = ("endpoint", "kind", "path", "change")
HEADER = """\
# Behaviour changes against the baseline that were reviewed and accepted (docs/scorecheck.md, "Behaviour
# diff against the baseline"). `scorecheck run --baseline ...` reports an entry's change without failing the
# gate. An entry matches on endpoint, kind, path and change; `note` is yours (why the change is wanted).
# `--accept-changes` adds the changes a run finds and keeps every entry and note already here.
"""


class AcceptedChangesError(Exception):
    """The file cannot be used; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Signature:
    """What identifies one behaviour change across requests and runs."""

    endpoint: str  # "POST /score"
    kind: str  # key_renamed, status, value_changed, ...
    path: str  # "$.result[*]", or "status", "content_type", "body"
    change: str  # "renamed to $.prediction", "200 became 400"

    @property
    def text(self) -> str:
        where = "" if self.path == self.kind else f" {self.path}"
        return f"{self.endpoint} {self.kind}{where}: {self.change}"


@dataclass(frozen=True)
class Accepted:
    """The file's entries, in order, each as written (note and example included)."""

    path: Path
    entries: Mapping[Signature, Mapping[str, Any]]

    def __contains__(self, signature: object) -> bool:
        return signature in self.entries


def default_path(pyproject: Optional[Path], fixtures: Sequence[str]) -> Path:
    """Next to pyproject.toml, else next to the first fixtures folder (or beside the first fixture file)."""
    if pyproject is not None:
        return pyproject.parent / DEFAULT_NAME
    first = Path(fixtures[0]) if fixtures else Path(".")
    return first.parent / DEFAULT_NAME


def load(path: Path) -> Accepted:
    """The accepted changes at `path`; none when the file does not exist. Raises AcceptedChangesError."""
    if not path.exists():
        return Accepted(path, {})
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AcceptedChangesError(f"{path}: cannot read it: {_one_line(exc)}") from exc
    if document is None:
        return Accepted(path, {})
    if not isinstance(document, dict) or not isinstance(document.get("accepted", []), list):
        raise AcceptedChangesError(
            f"{path}: expected a mapping with an `accepted:` list of entries (endpoint, kind, path, change, note)"
        )
    entries: Dict[Signature, Mapping[str, Any]] = {}
    for index, entry in enumerate(document.get("accepted") or []):
        entries[_signature(path, index, entry)] = entry
    return Accepted(path, entries)


def _signature(path: Path, index: int, entry: Any) -> Signature:
    where = f"{path}: accepted[{index}]"
    if not isinstance(entry, dict):
        raise AcceptedChangesError(
            f"{where}: expected a mapping with {', '.join(FIELDS)} (and an optional note)"
        )
    unknown = sorted(set(entry) - {*FIELDS, "note", "example"})
    if unknown:
        raise AcceptedChangesError(
            f"{where}: unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}, note"
        )
    values = []
    for name in FIELDS:
        value = entry.get(name)
        if not isinstance(value, str) or not value:
            raise AcceptedChangesError(
                f"{where}: `{name}` must be a non-empty string (copy it from the report)"
            )
        values.append(value)
    return Signature(*values)


def write(
    accepted: Accepted, found: Sequence[Signature], examples: Mapping[Signature, str]
) -> List[Signature]:
    """Add the `found` changes not in the file yet (with an example each); return the ones added."""
    added = [signature for signature in found if signature not in accepted]
    entries = [dict(entry) for entry in accepted.entries.values()]
    entries += [_document_entry(s, examples.get(s, "")) for s in added]
    text = yaml.safe_dump({"accepted": entries}, sort_keys=False, allow_unicode=True, width=120)
    accepted.path.parent.mkdir(parents=True, exist_ok=True)
    accepted.path.write_text(HEADER + text, encoding="utf-8")
    return added


def _document_entry(signature: Signature, example: str) -> Dict[str, str]:
    entry = {name: getattr(signature, name) for name in FIELDS}
    entry["note"] = ""
    if example:
        entry["example"] = example  # for the reviewer; not part of the match
    return entry


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
