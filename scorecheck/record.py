"""Write fixtures from observed responses: `scorecheck record` and `scorecheck run --update`.

Recording turns request inputs into fixture skeletons, which the CLI loads and replays through the normal
runner with a `Snapshotter` watching; the snapshotter then writes each observed response in as the expectation.
`--update` uses the same snapshotter on existing fixtures, rewriting only what failed and keeping names,
tolerances, ignore paths and schemas. Secret-bearing headers (see `client.is_secret_header`) are never written.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from .client import is_secret_header
from .config import RunConfig
from .fixtures import REQUEST_KEYS
from .model import Case, Mismatch, Observation

INPUTS_DIR = "_inputs"  # a leading "_" keeps the loader from reading body files as fixtures
_UPDATABLE = ("StatusMismatch", "HeaderMismatch", "BodyMismatch")


class RecordError(Exception):
    """Inputs that cannot be turned into fixtures; every problem is listed."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


# ---------------------------------------------------------------------------------------------------------------
# Reading and writing fixture documents


def load_document(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)


def dump_document(path: Path, doc: Any, sort_keys: bool) -> None:
    if path.suffix.lower() == ".json":
        text = json.dumps(doc, indent=2, sort_keys=sort_keys, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(
            doc, sort_keys=sort_keys, allow_unicode=True, default_flow_style=None, width=100
        )
    path.write_text(text, encoding="utf-8")


def _entry(doc: Any, index: Optional[int]) -> Dict[str, Any]:
    """The mapping of one case inside a fixture document."""
    entry = doc if index is None else doc["cases"][index]
    if not isinstance(entry, dict):
        raise ValueError("fixture case is not a mapping")
    return entry


# ---------------------------------------------------------------------------------------------------------------
# Expectations from observations


def _header(obs: Observation, name: str) -> Optional[str]:
    return next((v for k, v in obs.headers if k.lower() == name.lower()), None)


def _parsed_json(body: bytes) -> Tuple[bool, Any]:
    try:
        return True, json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False, None


def body_expectation(body: bytes) -> Dict[str, Any]:
    """The strictest expectation a body can be written back as: json, then text, then base64."""
    ok, parsed = _parsed_json(body) if body.strip() else (False, None)
    if ok:
        return {"json": parsed}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


def recorded_expect(obs: Observation, previous: Dict[str, Any]) -> Dict[str, Any]:
    """A full expectation from `obs`, keeping tolerance, ignore, schema and latency settings."""
    kept = {k: v for k, v in previous.items() if k in ("tolerance", "ignore", "schema", "max_latency_ms")}
    expect: Dict[str, Any] = {"status": obs.status, **kept}
    content_type = _header(obs, "Content-Type")
    if content_type:
        expect["headers"] = {"Content-Type": content_type}
    expect.update(body_expectation(obs.body))
    return expect


def project(shape: Any, observed: Any) -> Any:
    """`observed` cut down to the keys of a `json_subset` shape; keys the response lacks are dropped."""
    if isinstance(shape, dict) and isinstance(observed, dict):
        return {k: project(v, observed[k]) for k, v in shape.items() if k in observed}
    if isinstance(shape, list) and isinstance(observed, list) and len(shape) == len(observed):
        return [project(s, o) for s, o in zip(shape, observed)]
    return observed


@dataclass
class _Change:
    """What --update would write for one case: a new `expect` mapping and maybe a new body file."""

    expect: Dict[str, Any]
    body_file: Optional[Tuple[Path, bytes]] = None


def updated_expect(
    case: Case, previous: Dict[str, Any], obs: Observation, mismatches: Sequence[Mismatch]
) -> Optional[_Change]:
    """Only the failing parts rewritten; None when a mismatch is not a snapshot (schema, regex, latency)."""
    if any(m.kind not in _UPDATABLE for m in mismatches):
        return None
    change = _Change(dict(previous))
    expect = change.expect
    for mismatch in mismatches:
        if mismatch.kind == "StatusMismatch":
            expect["status"] = obs.status
        elif mismatch.kind == "HeaderMismatch" and not _update_header(expect, mismatch.path, obs):
            return None
    if any(m.kind == "BodyMismatch" for m in mismatches):
        return change if _update_body(change, case, obs) else None
    return change


def _update_header(expect: Dict[str, Any], where: str, obs: Observation) -> bool:
    name = where.split(":", 1)[-1]
    value = _header(obs, name)
    if value is None or is_secret_header(name) or not isinstance(expect.get("headers"), dict):
        return False
    headers = expect["headers"]
    key = next((k for k in headers if str(k).lower() == name.lower()), name)
    headers[key] = value
    return True


def _update_body(change: _Change, case: Case, obs: Observation) -> bool:
    expect = change.expect
    kind = case.expect.body_kind
    if kind in ("json", "body", "body_base64"):
        for key in ("json", "body", "body_base64"):
            expect.pop(key, None)
        expect.update(body_expectation(obs.body))
        return True
    if kind == "json_subset":
        ok, parsed = _parsed_json(obs.body)
        if ok:
            expect["json_subset"] = project(expect["json_subset"], parsed)
        return ok
    if kind == "body_file":
        change.body_file = ((case.file.parent / str(expect["body_file"])).resolve(), obs.body)
        return True
    return False  # body_regex is a rule, not a snapshot; a missing JSON body breaks a schema


@dataclass
class Snapshotter:
    """Collects expectation rewrites during a run and writes them once it is over.

    mode "record": every observed case gets a full expectation; "update": only cases with mismatches.
    """

    mode: str = "update"
    changes: List[Tuple[Case, _Change]] = field(default_factory=list)

    def observe(self, case: Case, obs: Observation, mismatches: Sequence[Mismatch]) -> bool:
        if self.mode == "update" and not mismatches:
            return False
        previous = _entry(load_document(case.file), case.index).get("expect") or {}
        if self.mode == "record":
            change: Optional[_Change] = _Change(recorded_expect(obs, previous))
        else:
            change = updated_expect(case, previous, obs, mismatches)
        if change is None:
            return False
        self.changes.append((case, change))
        return True

    def write(self) -> List[Path]:
        """Apply the collected changes, one rewrite per file; return the files written."""
        by_file: Dict[Path, List[Tuple[Case, _Change]]] = {}
        for case, change in self.changes:
            by_file.setdefault(case.file, []).append((case, change))
        for path, items in by_file.items():
            doc = load_document(path)
            for case, change in items:
                _entry(doc, case.index)["expect"] = change.expect
                if change.body_file is not None:
                    change.body_file[0].write_bytes(change.body_file[1])
            # Recorded files are new: sorted keys. Updated files are the user's: keep their order.
            dump_document(path, doc, sort_keys=self.mode == "record")
        return sorted(by_file)


# ---------------------------------------------------------------------------------------------------------------
# Skeletons from request inputs


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "case"


def _without_secrets(request: Dict[str, Any]) -> Dict[str, Any]:
    headers = request.get("headers")
    if isinstance(headers, dict):
        request = {**request, "headers": {k: v for k, v in headers.items() if not is_secret_header(str(k))}}
        if not request["headers"]:
            del request["headers"]
    return request


def _from_line(line: str, where: str, config: RunConfig) -> Dict[str, Any]:
    """One JSON-lines entry: a case (`{"name": ..., "request": {...}}`) or a bare request mapping."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise RecordError([f"{where}: invalid JSON: {exc}"]) from exc
    if not isinstance(value, dict):
        raise RecordError([f"{where}: expected a JSON object (a request, or a case with 'request')"])
    if "request" in value:
        case = {k: v for k, v in value.items() if k in ("name", "description", "tags", "request")}
    else:
        unknown = sorted(set(value) - set(REQUEST_KEYS))
        if unknown:
            raise RecordError(
                [f"{where}: unknown request key {unknown[0]!r} (valid: {', '.join(REQUEST_KEYS)})"]
            )
        case = {"request": value}
    request = case["request"] if isinstance(case["request"], dict) else {}
    case["request"] = _without_secrets({"method": config.method, "path": config.path, **request})
    return case


def _from_file(path: Path, out_dir: Path, config: RunConfig) -> Tuple[Dict[str, Any], Optional[Path]]:
    """A payload file: JSON files are sent as `json:`, anything else as a copied `body_file`."""
    if not path.is_file():
        raise RecordError([f"{path}: cannot read: no such file"])
    request: Dict[str, Any] = {"method": config.method, "path": config.path}
    copy: Optional[Path] = None
    if path.suffix.lower() == ".json":
        try:
            request["json"] = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError as exc:
            raise RecordError([f"{path}: invalid JSON: {exc}"]) from exc
    else:
        copy = out_dir / INPUTS_DIR / path.name
        request["body_file"] = f"{INPUTS_DIR}/{path.name}"
        request["headers"] = {
            "Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        }
    return {"name": path.stem, "request": request}, copy


@dataclass
class RecordPlan:
    """The fixture files `record` will create, before anything is written."""

    documents: List[Tuple[Path, Dict[str, Any]]] = field(default_factory=list)
    copies: List[Tuple[Path, Path]] = field(default_factory=list)  # (source, destination) body files

    def write(self) -> List[Path]:
        for source, destination in self.copies:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        for path, doc in self.documents:
            path.parent.mkdir(parents=True, exist_ok=True)
            dump_document(path, doc, sort_keys=True)
        return [path for path, _ in self.documents]

    def remove(self) -> None:
        """Undo `write`, used when the skeletons turn out to be invalid fixtures."""
        for path in [p for p, _ in self.documents] + [d for _, d in self.copies]:
            path.unlink(missing_ok=True)


def _jsonl_cases(path: Path, config: RunConfig, problems: List[str]) -> List[Dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = _from_line(line, f"{path}:{number}", config)
        except RecordError as exc:
            problems.extend(exc.problems)  # keep going: every bad line is reported at once
            continue
        case.setdefault("name", f"{path.stem}-{number}")
        cases.append(case)
    return cases


def _inputs(config: RunConfig) -> List[Tuple[Dict[str, Any], Optional[Tuple[Path, Path]]]]:
    out_dir = Path(str(config.out_dir))
    found: List[Tuple[Dict[str, Any], Optional[Tuple[Path, Path]]]] = []
    problems: List[str] = []
    for text in config.inputs:
        path = Path(text)
        try:
            if path.suffix.lower() == ".jsonl":
                found.extend((case, None) for case in _jsonl_cases(path, config, problems))
            else:
                case, copy = _from_file(path, out_dir, config)
                found.append((case, (path, copy) if copy is not None else None))
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror or exc}")
        except RecordError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RecordError(problems)
    return found


def plan_recording(config: RunConfig) -> RecordPlan:
    """Fixture skeletons for every input; raises RecordError listing every unusable input or clash."""
    out_dir = Path(str(config.out_dir))
    plan = RecordPlan()
    used: Dict[str, int] = {}
    problems: List[str] = []
    for case, copy in _inputs(config):
        slug = _slug(str(case["name"]))
        count = used[slug] = used.get(slug, 0) + 1
        if count > 1:  # two inputs with one name: `batch.json` in two folders
            slug = f"{slug}-{count}"
            case["name"] = f"{case['name']} ({count})"
        path = out_dir / f"{slug}.yaml"
        if path.exists() and not config.force:
            problems.append(f"{path}: already exists (use --force to overwrite, or `run --update`)")
        plan.documents.append((path, case))
        if copy is not None:
            plan.copies.append(copy)
    if problems:
        raise RecordError(problems)
    return plan
