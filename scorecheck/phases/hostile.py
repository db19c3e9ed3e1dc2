"""The hostile tier: requests a correct script may refuse (4xx) but must survive.

Malformed bodies (broken JSON, wrong or missing Content-Type, empty, binary, non-UTF-8, oversized), and, from the
fixtures: wrong types at a value, structural changes (a row one wider or narrower, a value wrapped in a list, a
required key removed), extreme magnitudes, huge strings, and for uploads (binary bodies, multipart file parts)
an empty, truncated or random file, or another content type.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, List, Optional, Sequence, Tuple

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..model import FilePart, RequestSpec
from .checks import HOSTILE
from .inputmodel import InputModel, kind_of, locations, replaced, without
from .near import Near, Probe

JSON_TYPE = "application/json"
OVERSIZED = (64 * 1024, 512 * 1024, 2 * 1024 * 1024)  # bytes; well below the 100 MB an AzureML proxy accepts
EXTREMES = (1.7976931348623157e308, -1.7976931348623157e308, 2**64, -(2**63) - 1, 10**30, 5e-324)
WRONG_TYPES: Tuple[Any, ...] = ("text", None, True, [], {}, 12345)
HUGE_TEXT = "x" * 100_000
OTHER_UPLOAD_TYPE = "text/plain"


# ---------------------------------------------------------------------------------------------------------------
# Malformed bodies


def _raw(path: str, body: bytes, content_type: Optional[str]) -> RequestSpec:
    headers = (("Content-Type", content_type),) if content_type is not None else ()
    return RequestSpec(method="POST", path=path, headers=headers, body=body, body_source="body")


_BROKEN_JSON = (
    b"{",
    b'{"data": [1, 2',
    b"{'data': [1]}",
    b'{"data": [1,]}',
    b'{"data" [1]}',
    b'{"data": [1]} trailing',
    b"NaN",
    b"undefined",
    b"\xef\xbb\xbf{}",
)
_NOT_OBJECTS = (b"[]", b"null", b"1", b'"text"', b"true", b"[[1, 2, 3]]")
_OTHER_TYPES = (
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
)


def broken_json_body(text: str) -> bytes:
    """An object opened with `{` whose last character is `,`: never JSON, whatever `text` holds.

    A JSON text that starts with `{` must end with `}` (and white space); `"{" + text` alone is valid for
    `text == "}"`, which once made a "malformed" example well-formed.
    """
    return ("{" + text + ",").encode("utf-8")


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body.decode("utf-8")), dict)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return False


def _broken_json(path: str) -> SearchStrategy[RequestSpec]:
    generated = st.text(max_size=30).map(broken_json_body)
    bodies = st.one_of(st.sampled_from(_BROKEN_JSON + _NOT_OBJECTS), generated)
    return bodies.map(lambda body: _raw(path, body, JSON_TYPE))


def _wrong_type(path: str) -> SearchStrategy[RequestSpec]:
    types = st.one_of(st.sampled_from(_OTHER_TYPES), st.none())  # None: no Content-Type at all
    return st.builds(lambda ct: _raw(path, b'{"data": [[1, 2, 3]]}', ct), types)


def _empty(path: str) -> SearchStrategy[RequestSpec]:
    return st.sampled_from((JSON_TYPE, None)).map(lambda ct: _raw(path, b"", ct))


def _binary(path: str) -> SearchStrategy[RequestSpec]:
    types = st.sampled_from((JSON_TYPE, "application/octet-stream", "image/png"))
    # Random bytes can spell a JSON object (`{}`); such a body is no longer malformed.
    bodies = st.binary(min_size=1, max_size=256).filter(lambda body: not _is_json_object(body))
    return st.builds(lambda body, ct: _raw(path, body, ct), bodies, types)


def _not_utf8(path: str) -> SearchStrategy[RequestSpec]:
    texts = st.sampled_from(('{"data": "café"}', '{"data": ["naïve", "ß"]}'))
    encodings = st.sampled_from(("latin-1", "utf-16", "cp1252"))
    return st.builds(lambda t, e: _raw(path, t.encode(e), JSON_TYPE), texts, encodings)


def _oversized(path: str) -> SearchStrategy[RequestSpec]:
    # Cut off before the closing brackets, so the body is invalid JSON whatever the script expects.
    return st.sampled_from(OVERSIZED).map(
        lambda size: _raw(path, b'{"data": [' + b"1, " * (size // 3), JSON_TYPE)
    )


def malformed_requests(path: str = "/score") -> SearchStrategy[RequestSpec]:
    """Requests a correct script may refuse (4xx) but must not crash on."""
    return st.one_of(
        _broken_json(path), _wrong_type(path), _empty(path), _binary(path), _not_utf8(path), _oversized(path)
    )


# ---------------------------------------------------------------------------------------------------------------
# Fixture-based hostile requests


def structural_changes(model: InputModel, body: Any) -> List[Any]:
    """A row one wider or narrower, a value wrapped in a list, a required key removed."""
    found: List[Any] = []
    for where, path, value in locations(body):
        info = model.paths.get(path)
        if info is None:
            continue
        if isinstance(value, list) and info.fixed_width and value:
            found += [replaced(body, where, value[:-1]), replaced(body, where, [*value, value[-1]])]
        elif isinstance(value, dict):
            found += [without(body, where, key) for key in info.required() if key in value]
        elif where:
            found.append(replaced(body, where, [value]))
    return found


def value_changes(body: Any) -> List[Any]:
    """Wrong types, extreme magnitudes and huge strings at each leaf."""
    found: List[Any] = []
    for where, _, value in locations(body):
        kind = kind_of(value)
        if not where or kind in ("list", "dict"):
            continue
        found += [replaced(body, where, wrong) for wrong in WRONG_TYPES if kind_of(wrong) != kind]
        if kind in ("int", "float"):
            found += [replaced(body, where, extreme) for extreme in EXTREMES]
        if kind == "str":
            found.append(replaced(body, where, HUGE_TEXT))
    return found


def _cut(content: bytes) -> Tuple[bytes, ...]:
    """An empty file, the first half, the first 8 bytes (a file's signature and nothing after it)."""
    return (b"", content[: len(content) // 2], content[:8])


def _upload_changes(content: bytes) -> SearchStrategy[bytes]:
    random = st.binary(min_size=1, max_size=max(64, len(content)))
    return st.one_of(st.sampled_from(_cut(content)), random)


def upload_probes(near: Near) -> List[Probe]:
    """Each fixture upload cut short once (empty, half, its first 8 bytes), sent in the sweep: a script that
    trusts its uploads is shown to on every seed."""
    probes = []
    for template in near.raw:
        if template.files:
            part = template.files[0]
            for content in _cut(part.content):
                files = (replace(part, content=content), *template.files[1:])
                probes.append(Probe(replace(template, files=files), tier=HOSTILE))
        else:
            probes += [
                Probe(replace(template, body=body), tier=HOSTILE) for body in _cut(template.body or b"")
            ]
    return probes


def _uploads(template: RequestSpec) -> SearchStrategy[RequestSpec]:
    """The fixture's upload made empty, truncated or random, or labelled with another content type."""
    if template.files:
        return st.sampled_from(range(len(template.files))).flatmap(lambda i: _file_part(template, i))
    content = template.body or b""
    relabelled = replace(template, headers=_content_type(template.headers, OTHER_UPLOAD_TYPE))
    changed = _upload_changes(content).map(lambda body: replace(template, body=body))
    return st.one_of(changed, st.just(relabelled))


def _file_part(template: RequestSpec, index: int) -> SearchStrategy[RequestSpec]:
    part = template.files[index]

    def with_part(new: FilePart) -> RequestSpec:
        files = list(template.files)
        files[index] = new
        return replace(template, files=tuple(files))

    changed = _upload_changes(part.content).map(lambda content: with_part(replace(part, content=content)))
    relabelled = with_part(replace(part, content_type=OTHER_UPLOAD_TYPE))
    return st.one_of(changed, st.just(relabelled))


def _content_type(headers: Sequence[Tuple[str, str]], value: str) -> Tuple[Tuple[str, str], ...]:
    kept = tuple((k, v) for k, v in headers if k.lower() != "content-type")
    return (*kept, ("Content-Type", value))


def hostile_requests(near: Near, path: str) -> SearchStrategy[RequestSpec]:
    """Malformed bodies, plus the fixture-based hostile changes when fixtures show the request's shape."""
    options = [malformed_requests(path)]
    changed = [change for body in near.model.bodies for change in _fixture_changes(near.model, body)]
    if changed:
        options.append(st.sampled_from(changed).map(near.request))
    if near.raw:
        options.append(st.sampled_from(near.raw).flatmap(_uploads))
    return st.one_of(options)


def _fixture_changes(model: InputModel, body: Any) -> List[Any]:
    return [*structural_changes(model, body), *value_changes(body)]
