"""Form bodies -> the dict handed to user code, in arrival order, with repeated names kept as lists.

Parsing is werkzeug's (multipart) and the standard library's (urlencoded); this module only shapes the result.
werkzeug returns text parts and file parts as two separate MultiDicts, which loses how they interleaved, so a
small MultiPartParser subclass notes the kind of each part as werkzeug meets it: the parser calls
`get_part_charset` once per text part as it completes and `start_file_streaming` once per file part as it
starts, both in stream order.
"""

from __future__ import annotations

from typing import IO, Any, Dict, Iterable, List, Optional, Tuple, cast
from urllib.parse import parse_qsl

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser
from werkzeug.sansio.multipart import File
from werkzeug.wsgi import LimitedStream

Pairs = List[Tuple[str, Any]]

# Multipart limits (documented in docs/unified.md), enforced by werkzeug's parser and stream: beyond them, 413.
# Other bodies are not limited (only a multipart body costs per part: objects, a spooled file per upload).
MAX_FORM_PARTS = 1000
MAX_TEXT_PART_BYTES = 16 * 1024 * 1024
MAX_MULTIPART_BYTES = 1024 * 1024 * 1024
_LIMITS = (
    f"at most {MAX_FORM_PARTS} parts, {MAX_TEXT_PART_BYTES // 2**20} MiB per text part and "
    f"{MAX_MULTIPART_BYTES // 2**20} MiB in all"
)


class FormError(ValueError):
    """The form body is malformed (answered 400)."""


class FormTooLarge(Exception):
    """The multipart body is over a limit above (answered 413)."""


class _PairList(MultiDict):  # type: ignore[type-arg]
    """A MultiDict that also keeps its pairs in the order given (werkzeug builds it from an ordered list)."""

    def __init__(self, mapping: Optional[Iterable[Tuple[str, Any]]] = None) -> None:
        pairs = list(mapping or [])
        super().__init__(pairs)
        self.pairs = pairs


class _OrderedMultiPartParser(MultiPartParser):
    def __init__(self) -> None:
        # werkzeug counts the parts and the bytes of each text part; file parts spool to disk.
        super().__init__(
            cls=_PairList, max_form_memory_size=MAX_TEXT_PART_BYTES, max_form_parts=MAX_FORM_PARTS
        )
        self.kinds: List[bool] = []  # True for a file part

    def get_part_charset(self, headers: Headers) -> str:
        self.kinds.append(False)
        return super().get_part_charset(headers)

    def start_file_streaming(self, event: File, total_content_length: Optional[int]) -> IO[bytes]:
        self.kinds.append(True)
        return super().start_file_streaming(event, total_content_length)


def parse_multipart(stream: IO[bytes], boundary: Optional[str], content_length: Optional[int]) -> Pairs:
    """(name, str | FileStorage) pairs in arrival order; raises FormError."""
    if not boundary:
        raise FormError("Malformed multipart body: the Content-Type has no boundary parameter")
    if content_length == 0:
        return []
    if content_length is not None and content_length > MAX_MULTIPART_BYTES:
        raise FormTooLarge(f"The multipart body is {content_length} bytes; the limits are {_LIMITS}")
    parser = _OrderedMultiPartParser()
    # A chunked body has no length to check first: the stream itself stops at the limit.
    limited = cast(IO[bytes], LimitedStream(stream, MAX_MULTIPART_BYTES, is_max=True))
    try:
        fields, files = parser.parse(limited, boundary.encode("ascii"), content_length)
    except RequestEntityTooLarge:
        raise FormTooLarge(f"The multipart body is over a limit: {_LIMITS}") from None
    except (ValueError, UnicodeError) as exc:
        raise FormError(f"Malformed multipart body: {exc}") from exc
    texts, uploads = cast(_PairList, fields).pairs, cast(_PairList, files).pairs
    if parser.kinds.count(False) != len(texts) or parser.kinds.count(True) != len(uploads):
        return texts + uploads  # a werkzeug release that calls the hooks differently: text parts first
    next_text, next_upload = iter(texts), iter(uploads)
    return [next(next_upload) if is_file else next(next_text) for is_file in parser.kinds]


def parse_urlencoded(body: bytes, charset: Optional[str]) -> Pairs:
    """(name, str) pairs in arrival order; raises FormError for bytes or escapes invalid in the charset."""
    encoding = charset or "utf-8"
    try:
        text = body.decode(encoding)
        return list(parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="strict"))
    except UnicodeError as exc:
        raise FormError(f"Malformed form body: {exc}") from exc


def to_dict(pairs: Pairs) -> Dict[str, Any]:
    """name -> value; a name sent several times -> the list of its values, in arrival order."""
    result: Dict[str, Any] = {}
    repeated = set()
    for name, value in pairs:
        if name not in result:
            result[name] = value
        elif name in repeated:
            result[name].append(value)
        else:
            result[name] = [result[name], value]
            repeated.add(name)
    return result


def to_legacy_dict(pairs: Pairs) -> Dict[str, Any]:
    """fastml-engine 1.0.7's shape: a text field -> its first value; a file field -> {filename: file}."""
    result: Dict[str, Any] = {}
    for name, value in pairs:
        if isinstance(value, FileStorage):
            files = result.setdefault(name, {})
            if isinstance(files, dict):
                files[value.filename or ""] = value
        else:
            result.setdefault(name, value)
    return result


def uploaded_files(pairs: Pairs) -> List[FileStorage]:
    return [value for _, value in pairs if isinstance(value, FileStorage)]
