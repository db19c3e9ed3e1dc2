"""Load fixture files (docs/fixtures.md) into `Case`s, reporting every problem of every file at once.

A gate that stops at the first typo makes users fix fixtures one CI run at a time, so validation collects
`FixtureError`s and keeps going; cases with any error are left out of the result.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import math
import mimetypes
import re
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

import yaml

from .compare import is_regex_value, parse_path
from .model import Case, Expectation, FilePart, FixtureError, RequestSpec, Tolerance

SUFFIXES = (".yaml", ".yml", ".json")
CASE_KEYS = ("name", "description", "tags", "skip", "request", "expect")
REQUEST_KEYS = (
    "method",
    "path",
    "query",
    "headers",
    "json",
    "body",
    "body_base64",
    "body_file",
    "form",
    "files",
)
EXPECT_KEYS = (
    "status",
    "headers",
    "json",
    "json_subset",
    "body",
    "body_base64",
    "body_file",
    "body_regex",
    "schema",
    "tolerance",
    "ignore",
    "max_latency_ms",
)
TOLERANCE_KEYS = ("abs", "rel")
REQUEST_BODY_KEYS = ("json", "body", "body_base64", "body_file", "form", "files")
EXPECT_BODY_KEYS = ("json", "json_subset", "body", "body_base64", "body_file", "body_regex")
FILE_KEY = "(file)"

# ----------------------------------------------------------------------------------------------------
# Parsing: numbers keep the text they were written as, so `query: {v: 1.50}` sends `v=1.50`.


class WrittenInt(int):
    source: str


class WrittenFloat(float):
    source: str


def _written_int(text: str) -> WrittenInt:
    value = WrittenInt(text)
    value.source = text
    return value


def _written_float(text: str) -> WrittenFloat:
    value = WrittenFloat(text)
    value.source = text
    return value


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, keeps number spellings and reads timestamps as text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Dict[Any, Any]:
        seen: Set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> WrittenInt:
    value = WrittenInt(loader.construct_yaml_int(node))
    value.source = node.value
    return value


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> WrittenFloat:
    value = WrittenFloat(loader.construct_yaml_float(node))
    value.source = node.value
    return value


def _construct_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


def parse_text(text: str, suffix: str) -> Tuple[Any, Optional[Tuple[str, str]]]:
    """Parse a fixture document; on failure return (None, (key, message)) with the line number in the key."""
    if not text.strip():
        return None, (FILE_KEY, "empty file")
    if suffix == ".json":
        return _parse_json(text)
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else FILE_KEY
        column = f" (column {mark.column + 1})" if mark else ""
        return None, (where, f"invalid YAML: {exc.problem or exc.context}{column}")
    except yaml.YAMLError as exc:
        return None, (FILE_KEY, f"invalid YAML: {exc}")
    return (doc, None) if doc is not None else (None, (FILE_KEY, "empty file (only comments)"))


class _DuplicateKey(ValueError):
    pass


def _unique_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    # Python's json keeps the last of repeated keys silently; in a fixture that hides a typo'd edit.
    out: Dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _parse_json(text: str) -> Tuple[Any, Optional[Tuple[str, str]]]:
    try:
        doc = json.loads(
            text, parse_int=_written_int, parse_float=_written_float, object_pairs_hook=_unique_pairs
        )
    except json.JSONDecodeError as exc:
        return None, (f"line {exc.lineno}", f"invalid JSON: {exc.msg} (column {exc.colno})")
    except _DuplicateKey as exc:
        return None, (FILE_KEY, f"invalid JSON: duplicate key {exc.args[0]!r}")
    return doc, None


# ----------------------------------------------------------------------------------------------------
# Error collection


class _Context:
    """The file being validated and the errors found so far."""

    def __init__(self, file: Path, root: Path, errors: List[FixtureError]) -> None:
        self.file = file
        self.root = root
        self.errors = errors

    def error(self, key: str, message: str) -> None:
        self.errors.append(FixtureError(self.file, key or FILE_KEY, message))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check_keys(ctx: _Context, prefix: str, mapping: Mapping[Any, Any], allowed: Sequence[str]) -> None:
    for key in mapping:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "valid keys: " + ", ".join(allowed)
        ctx.error(_join(prefix, str(key)), f"unknown key {key!r} ({hint})")


def _type_name(value: Any) -> str:
    names = {dict: "mapping", list: "list", str: "string", bool: "boolean", type(None): "null"}
    for cls, name in names.items():
        if isinstance(value, cls):
            return name
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _expect_type(ctx: _Context, key: str, value: Any, cls: Union[type, Tuple[type, ...]], what: str) -> bool:
    # bool is an int subclass, but `true` is never an acceptable number here.
    if isinstance(value, cls) and not (isinstance(value, bool) and cls is not bool):
        return True
    ctx.error(key, f"must be {what}, got {_type_name(value)}")
    return False


def to_json(ctx: _Context, key: str, value: Any) -> Any:
    """A plain-Python copy of a JSON value; YAML-only types (bytes, sets, non-string keys) are errors."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, list):
        return [to_json(ctx, f"{key}[{i}]", item) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out: Dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                ctx.error(key, f"JSON object keys must be strings, got {_type_name(k)} {k!r} (quote it)")
                continue
            out[k] = to_json(ctx, _join(key, k), v)
        return out
    ctx.error(key, f"{_type_name(value)} is not a JSON value")
    return None


def scalar_text(value: Any) -> str:
    """Query/form/header values as text: YAML booleans as JSON spells them, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    source = getattr(value, "source", None)
    return source if isinstance(source, str) else str(value)


# ----------------------------------------------------------------------------------------------------
# Discovery


def _candidates(paths: Sequence[Path], errors: List[FixtureError]) -> List[Tuple[Path, Path, bool]]:
    """(file, root, explicit) for every fixture file below `paths`, sorted per root; each file once."""
    found: List[Tuple[Path, Path, bool]] = []
    seen: Set[Path] = set()
    for path in paths:
        if path.is_dir():
            files = [(f, path, False) for f in _walk(path)]
        elif path.is_file():
            files = [(path, path.parent, True)]
        else:
            errors.append(FixtureError(path, FILE_KEY, "no such file or directory"))
            continue
        for file, root, explicit in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                found.append((file, root, explicit))
    return found


def _walk(root: Path) -> List[Path]:
    files = []
    for file in root.rglob("*"):
        rel = file.relative_to(root)
        if file.suffix.lower() in SUFFIXES and file.is_file() and not _hidden(rel):
            files.append(file)
    return sorted(files, key=lambda f: f.relative_to(root).as_posix())


def _hidden(rel: Path) -> bool:
    # A leading `_` or `.` on a directory hides it too: `_inputs/` holds body files, `.git/` is not ours.
    return any(part.startswith(("_", ".")) for part in rel.parts)


def _raw_cases(doc: Any) -> List[Any]:
    if isinstance(doc, dict) and isinstance(doc.get("cases"), list):
        return list(doc["cases"])
    return [doc]


def _referenced(doc: Any, file: Path) -> Iterator[Path]:
    """Files a fixture points at (body_file, files); they are inputs, not fixtures, even if named *.json."""
    for case in _raw_cases(doc):
        if not isinstance(case, dict):
            continue
        for section in ("request", "expect"):
            part = case.get(section)
            refs: List[Any] = [part.get("body_file")] if isinstance(part, dict) else []
            files = part.get("files") if isinstance(part, dict) and section == "request" else None
            if isinstance(files, dict):
                for value in files.values():
                    refs.extend(value if isinstance(value, list) else [value])
            for ref in refs:
                if isinstance(ref, str):
                    yield (file.parent / ref).resolve()


# ----------------------------------------------------------------------------------------------------
# Loading


def load_fixtures(paths: Sequence[Path]) -> Tuple[List[Case], List[FixtureError]]:
    """Every case below `paths` and every problem found; a case with any problem is not returned."""
    errors: List[FixtureError] = []
    parsed = []
    for file, root, explicit in _candidates(paths, errors):
        doc, problem = _read(file)
        parsed.append((file, root, explicit, doc, problem))
    inputs = {ref for file, _, _, doc, _ in parsed for ref in _referenced(doc, file)}
    cases: List[Case] = []
    explicit_names: Set[int] = set()
    for file, root, explicit, doc, problem in parsed:
        if not explicit and file.resolve() in inputs:
            continue
        ctx = _Context(file, root, errors)
        if problem is not None:
            ctx.error(*problem)
            continue
        for case, named in _file_cases(ctx, doc):
            if named:
                explicit_names.add(len(cases))
            cases.append(case)
    return _drop_duplicates(cases, explicit_names, errors), errors


def _read(file: Path) -> Tuple[Any, Optional[Tuple[str, str]]]:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        # Not reported yet: the file may turn out to be a body_file input rather than a fixture.
        return None, (FILE_KEY, f"cannot read: {exc}")
    return parse_text(text, file.suffix.lower())


def _file_cases(ctx: _Context, doc: Any) -> Iterator[Tuple[Case, bool]]:
    if not isinstance(doc, dict):
        ctx.error(FILE_KEY, f"must be a mapping with 'request' or 'cases', got {_type_name(doc)}")
        return
    if "cases" not in doc:
        case = _build_case(ctx, doc, None, "")
        if case is not None:
            yield case, "name" in doc
        return
    for key in doc:
        if key != "cases":
            ctx.error(str(key), f"key {key!r} is not allowed next to 'cases'; put it inside each case")
    if not _expect_type(ctx, "cases", doc["cases"], list, "a list of cases"):
        return
    if not doc["cases"]:
        ctx.error("cases", "is empty")
    for i, raw in enumerate(doc["cases"]):
        case = _build_case(ctx, raw, i, f"cases[{i}]")
        if case is not None:
            yield case, isinstance(raw, dict) and "name" in raw


def _drop_duplicates(cases: List[Case], explicit: Set[int], errors: List[FixtureError]) -> List[Case]:
    """Drop explicitly named cases whose name is taken by another case, with an error for each.

    Default names are path-based and only collide across roots; the JUnit reporter de-duplicates those.
    """
    where: Dict[str, List[str]] = {}
    for case in cases:
        where.setdefault(case.name, []).append(_location(case))
    kept = []
    for i, case in enumerate(cases):
        others = [place for place in where[case.name] if place != _location(case)]
        if i in explicit and others:
            key = "name" if case.index is None else f"cases[{case.index}].name"
            message = f"duplicate name {case.name!r}, also used in {', '.join(others)}"
            errors.append(FixtureError(case.file, key, message))
            continue
        kept.append(case)
    return kept


def _location(case: Case) -> str:
    return case.file.as_posix() + ("" if case.index is None else f" (cases[{case.index}])")


def _default_name(ctx: _Context, index: Optional[int]) -> str:
    name = ctx.file.relative_to(ctx.root).as_posix()
    return name if index is None else f"{name}[{index}]"


def _build_case(ctx: _Context, raw: Any, index: Optional[int], prefix: str) -> Optional[Case]:
    if not _expect_type(ctx, prefix or FILE_KEY, raw, dict, "a mapping with 'request'"):
        return None
    before = len(ctx.errors)
    _check_keys(ctx, prefix, raw, CASE_KEYS)
    name = _optional_str(ctx, _join(prefix, "name"), raw, "name", nonempty=True)
    description = _optional_str(ctx, _join(prefix, "description"), raw, "description")
    tags = _tags(ctx, _join(prefix, "tags"), raw.get("tags", []))
    skip = _skip(ctx, _join(prefix, "skip"), raw.get("skip"))
    if "request" not in raw:
        hint = "" if prefix else " (or 'cases' for several cases)"
        ctx.error(_join(prefix, "request"), f"missing required key 'request'{hint}")
    request = _build_request(ctx, _join(prefix, "request"), raw.get("request", {}))
    expect = _build_expect(ctx, _join(prefix, "expect"), raw.get("expect", {}))
    if len(ctx.errors) > before or request is None or expect is None:
        return None
    return Case(
        name=name or _default_name(ctx, index),
        file=ctx.file,
        root=ctx.root,
        index=index,
        request=request,
        expect=expect,
        description=description or "",
        tags=tags,
        skip=skip,
    )


def _optional_str(ctx: _Context, key: str, raw: Mapping[str, Any], field: str, nonempty: bool = False) -> str:
    value = raw.get(field)
    if value is None or not _expect_type(ctx, key, value, str, "a string"):
        return ""
    if nonempty and not value.strip():
        ctx.error(key, "must not be empty")
    return str(value)


def _tags(ctx: _Context, key: str, value: Any) -> Tuple[str, ...]:
    if not _expect_type(ctx, key, value, list, "a list of strings"):
        return ()
    for i, tag in enumerate(value):
        _expect_type(ctx, f"{key}[{i}]", tag, str, "a string")
    return tuple(tag for tag in value if isinstance(tag, str))


def _skip(ctx: _Context, key: str, value: Any) -> Optional[str]:
    # `skip: true` is the natural YAML spelling when no reason is worth writing.
    if value is None or value is False:
        return None
    if value is True:
        return "skipped"
    if _expect_type(ctx, key, value, str, "a reason string or true"):
        return str(value) or "skipped"
    return None


# ----------------------------------------------------------------------------------------------------
# request:


def _build_request(ctx: _Context, key: str, raw: Any) -> Optional[RequestSpec]:
    if not _expect_type(ctx, key, raw, dict, "a mapping"):
        return None
    _check_keys(ctx, key, raw, REQUEST_KEYS)
    method = raw.get("method", "POST")
    method_ok = _expect_type(ctx, _join(key, "method"), method, str, "a string")
    if method_ok and not re.fullmatch(r"[A-Za-z]+", method):
        ctx.error(_join(key, "method"), f"{method!r} is not an HTTP method")
    path = raw.get("path", "/score")
    if _expect_type(ctx, _join(key, "path"), path, str, "a string") and not path.startswith("/"):
        ctx.error(_join(key, "path"), f"must start with '/', got {path!r}")
    query = _pairs(ctx, _join(key, "query"), raw.get("query", {}))
    headers = _pairs(ctx, _join(key, "headers"), raw.get("headers", {}))
    source = _single_source(ctx, key, raw, REQUEST_BODY_KEYS, "body source")
    body = _request_body(ctx, key, raw, source)
    form = _pairs(ctx, _join(key, "form"), raw.get("form", {}))
    files = _files(ctx, _join(key, "files"), raw.get("files", {}))
    if source == "json" and not any(name.lower() == "content-type" for name, _ in headers):
        headers += (("Content-Type", "application/json"),)
    return RequestSpec(
        method=str(method).upper(),
        path=str(path),
        query=query,
        headers=headers,
        body=body,
        form=form,
        files=files,
        body_source="form" if source == "files" else source,
    )


def _single_source(
    ctx: _Context, key: str, raw: Mapping[str, Any], keys: Sequence[str], what: str
) -> Optional[str]:
    """The one body key present (`form` and `files` together are one source); more is an error."""
    present = [k for k in keys if k in raw]
    distinct = {("form" if k == "files" else k) for k in present}
    if len(distinct) > 1:
        names = ", ".join(repr(k) for k in present)
        ctx.error(key, f"more than one {what}: {names} (use at most one)")
    return present[0] if present else None


def _request_body(ctx: _Context, key: str, raw: Mapping[str, Any], source: Optional[str]) -> Optional[bytes]:
    if source is None or source in ("form", "files"):
        return None
    value = raw[source]
    key = _join(key, source)
    if source == "json":
        plain = to_json(ctx, key, value)
        return json.dumps(plain, ensure_ascii=False).encode("utf-8")
    if source == "body":
        return value.encode("utf-8") if _expect_type(ctx, key, value, str, "a string") else None
    if source == "body_base64":
        return _base64(ctx, key, value)
    return _read_file(ctx, key, value)


def _base64(ctx: _Context, key: str, value: Any) -> Optional[bytes]:
    if not _expect_type(ctx, key, value, str, "a base64 string"):
        return None
    try:
        # Whitespace is allowed so long blobs can be folded in YAML.
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        ctx.error(key, f"invalid base64: {exc}")
        return None


def _resolve(ctx: _Context, key: str, value: Any) -> Optional[Path]:
    if not _expect_type(ctx, key, value, str, "a file path"):
        return None
    target: Path = (ctx.file.parent / str(value)).resolve()
    root = ctx.root.resolve()
    if target != root and root not in target.parents:
        ctx.error(key, f"{value!r} escapes the fixtures root {ctx.root.as_posix()}")
        return None
    if not target.is_file():
        ctx.error(key, f"file {value!r} does not exist (paths are relative to the fixture file)")
        return None
    return target


def _read_file(ctx: _Context, key: str, value: Any) -> Optional[bytes]:
    target = _resolve(ctx, key, value)
    if target is None:
        return None
    try:
        return target.read_bytes()
    except OSError as exc:
        ctx.error(key, f"cannot read {value!r}: {exc}")
        return None


def _pairs(ctx: _Context, key: str, value: Any, lists: bool = True) -> Tuple[Tuple[str, str], ...]:
    """A `{name: value}` mapping as (name, text) pairs; a list value repeats the name."""
    if not _expect_type(ctx, key, value, dict, "a mapping"):
        return ()
    pairs: List[Tuple[str, str]] = []
    for name, item in value.items():
        where = _join(key, str(name))
        if not isinstance(name, str):
            ctx.error(where, f"names must be strings, got {_type_name(name)} (quote it)")
            continue
        items = item if lists and isinstance(item, list) else [item]
        for one in items:
            if isinstance(one, (dict, list)):
                kind = "a scalar or a list of scalars" if lists else "a scalar"
                ctx.error(where, f"must be {kind}, got {_type_name(one)}")
            else:
                pairs.append((name, scalar_text(one)))
    return tuple(pairs)


def _files(ctx: _Context, key: str, value: Any) -> Tuple[FilePart, ...]:
    if not _expect_type(ctx, key, value, dict, "a mapping of field name to path(s)"):
        return ()
    parts: List[FilePart] = []
    for field, paths in value.items():
        where = _join(key, str(field))
        for rel in paths if isinstance(paths, list) else [paths]:
            content = _read_file(ctx, where, rel)
            if content is not None:
                name = Path(str(rel)).name
                parts.append(FilePart(str(field), name, content, mimetypes.guess_type(name)[0]))
    return tuple(parts)


# ----------------------------------------------------------------------------------------------------
# expect:


def _build_expect(ctx: _Context, key: str, raw: Any) -> Optional[Expectation]:
    if raw is None:
        raw = {}
    if not _expect_type(ctx, key, raw, dict, "a mapping"):
        return None
    _check_keys(ctx, key, raw, EXPECT_KEYS)
    status = _status(ctx, _join(key, "status"), raw.get("status", 200))
    headers = _pairs(ctx, _join(key, "headers"), raw.get("headers", {}), lists=False)
    for name, value in headers:
        _regex(ctx, _join(_join(key, "headers"), name), value[1:-1] if is_regex_value(value) else None)
    kind = _single_source(ctx, key, raw, EXPECT_BODY_KEYS, "body expectation")
    value = _expect_body(ctx, _join(key, kind or ""), kind, raw.get(kind or ""))
    schema = _schema(ctx, _join(key, "schema"), raw["schema"]) if "schema" in raw else None
    tolerance = _tolerance(ctx, _join(key, "tolerance"), raw.get("tolerance", {}))
    ignore = _ignore(ctx, _join(key, "ignore"), raw.get("ignore", []))
    latency = _positive(ctx, _join(key, "max_latency_ms"), raw.get("max_latency_ms"))
    return Expectation(
        status=status,
        headers=headers,
        body_kind=kind,
        body_value=value,
        schema=schema,
        tolerance=tolerance,
        ignore=ignore,
        max_latency_ms=latency,
    )


def _status(ctx: _Context, key: str, value: Any) -> Tuple[Union[int, str], ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        ctx.error(key, "must not be an empty list")
    out: List[Union[int, str]] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
            out.append(int(item))
        elif isinstance(item, str) and re.fullmatch(r"[1-5][xX][xX]", item):
            out.append(item.lower())
        else:
            hint = "use an integer 100-599, a list of them, or a class like '4xx'"
            ctx.error(key, f"invalid status {item!r}: {hint}")
    return tuple(out) or (200,)


def _regex(ctx: _Context, key: str, pattern: Optional[str]) -> None:
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        ctx.error(key, f"invalid regular expression {pattern!r}: {exc}")


def _expect_body(ctx: _Context, key: str, kind: Optional[str], value: Any) -> Any:
    if kind in ("json", "json_subset"):
        return to_json(ctx, key, value)
    if kind == "body_base64":
        return _base64(ctx, key, value)
    if kind == "body_file":
        return _read_file(ctx, key, value)
    if kind in ("body", "body_regex") and _expect_type(ctx, key, value, str, "a string"):
        if kind == "body_regex":
            _regex(ctx, key, value)
        return str(value)
    return None


def _schema(ctx: _Context, key: str, value: Any) -> Optional[Mapping[str, Any]]:
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    if not _expect_type(ctx, key, value, dict, "a JSON Schema mapping"):
        return None
    schema: Dict[str, Any] = to_json(ctx, key, value)
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        ctx.error(key, f"invalid JSON Schema{' at ' + where if where else ''}: {exc.message}")
        return None
    return schema


def _number(ctx: _Context, key: str, value: Any) -> Optional[float]:
    if not _expect_type(ctx, key, value, (int, float), "a number"):
        return None
    number = float(value)
    if not math.isfinite(number):
        ctx.error(key, "must be a finite number")
        return None
    return number


def _tolerance(ctx: _Context, key: str, value: Any) -> Tolerance:
    if not _expect_type(ctx, key, value, dict, "a mapping with 'abs' and/or 'rel'"):
        return Tolerance()
    _check_keys(ctx, key, value, TOLERANCE_KEYS)
    found: Dict[str, float] = {}
    for name in TOLERANCE_KEYS:
        number = _number(ctx, _join(key, name), value[name]) if name in value else None
        if number is not None and number < 0:
            ctx.error(_join(key, name), "must not be negative")
        elif number is not None:
            found[name] = number
    return Tolerance(**found)


def _ignore(ctx: _Context, key: str, value: Any) -> Tuple[str, ...]:
    if not _expect_type(ctx, key, value, list, "a list of JSON paths"):
        return ()
    paths = []
    for i, item in enumerate(value):
        if not _expect_type(ctx, f"{key}[{i}]", item, str, "a JSON path string"):
            continue
        try:
            parse_path(item)
        except ValueError as exc:
            ctx.error(f"{key}[{i}]", f"invalid ignore path: {exc}")
            continue
        paths.append(str(item))
    return tuple(paths)


def _positive(ctx: _Context, key: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    number = _number(ctx, key, value)
    if number is not None and number <= 0:
        ctx.error(key, "must be greater than 0")
        return None
    return number


# ----------------------------------------------------------------------------------------------------
# Selection: `-k` expressions and `--tag`

_TOKEN = re.compile(r"""\s*(\(|\)|"[^"]*"|'[^']*'|[^\s()]+)""")


def select(cases: Sequence[Case], keywords: Sequence[str], tags: Sequence[str]) -> List[Case]:
    """Cases whose name matches every `-k` expression and that carry any of `tags` (when given).

    Raises ValueError for a malformed expression.
    """
    matchers = [compile_keyword(k) for k in keywords if k.strip()]
    wanted = set(tags)
    return [
        case
        for case in cases
        if all(match(case.name) for match in matchers) and (not wanted or wanted.intersection(case.tags))
    ]


def compile_keyword(expression: str) -> Callable[[str], bool]:
    """pytest-style `-k`: case-insensitive substrings combined with and/or/not and parentheses."""
    tokens = _tokenize(expression)
    parser = _KeywordParser(expression, tokens)
    match = parser.parse_or()
    if parser.pos < len(tokens):
        raise ValueError(f"invalid -k expression {expression!r}: unexpected {tokens[parser.pos]!r}")
    return match


def _tokenize(expression: str) -> List[str]:
    tokens = []
    pos = 0
    while expression[pos:].strip():
        found = _TOKEN.match(expression, pos)
        if not found:
            raise ValueError(f"invalid -k expression {expression!r}: unbalanced quote at {pos}")
        tokens.append(found.group(1))
        pos = found.end()
    return tokens


class _KeywordParser:
    """Recursive descent over: or := and ('or' and)*; and := not ('and' not)*; not := 'not' not | atom."""

    def __init__(self, expression: str, tokens: List[str]) -> None:
        self.expression = expression
        self.tokens = tokens
        self.pos = 0

    def _peek(self) -> Optional[str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError(f"invalid -k expression {self.expression!r}: unexpected end")
        self.pos += 1
        return token

    def parse_or(self) -> Callable[[str], bool]:
        terms = [self.parse_and()]
        while self._peek() == "or":
            self._take()
            terms.append(self.parse_and())
        return terms[0] if len(terms) == 1 else lambda name: any(t(name) for t in terms)

    def parse_and(self) -> Callable[[str], bool]:
        terms = [self.parse_not()]
        while self._peek() == "and":
            self._take()
            terms.append(self.parse_not())
        return terms[0] if len(terms) == 1 else lambda name: all(t(name) for t in terms)

    def parse_not(self) -> Callable[[str], bool]:
        if self._peek() == "not":
            self._take()
            inner = self.parse_not()
            return lambda name: not inner(name)
        return self.parse_atom()

    def parse_atom(self) -> Callable[[str], bool]:
        token = self._take()
        if token == "(":
            inner = self.parse_or()
            if self._take() != ")":
                raise ValueError(f"invalid -k expression {self.expression!r}: expected ')'")
            return inner
        if token in (")", "and", "or"):
            raise ValueError(f"invalid -k expression {self.expression!r}: unexpected {token!r}")
        quoted = len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'"
        word = token[1:-1] if quoted else token
        return lambda name: word.lower() in name.lower()
