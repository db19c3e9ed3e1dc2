"""Content-Type -> request kind (`json`, `text`, `binary`, `form`), parsed as a media type, not as text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Literal, Optional

from werkzeug.http import parse_options_header

# What a request body is, as the envelope's `content_type` names it.
RequestKind = Literal["json", "text", "binary", "form"]
JSON: RequestKind = "json"
TEXT: RequestKind = "text"
BINARY: RequestKind = "binary"
FORM: RequestKind = "form"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

_KINDS: Dict[str, RequestKind] = {
    "application/json": JSON,
    "text/plain": TEXT,
    "application/octet-stream": BINARY,
    # fastml-engine 1.0.7 accepted this bare word; its clients still send it.
    "binary": BINARY,
    MULTIPART: FORM,
    URLENCODED: FORM,
}
SUPPORTED = (
    "application/json (and application/*+json), text/plain, application/octet-stream, "
    "multipart/form-data, application/x-www-form-urlencoded"
)


class UnsupportedMediaType(Exception):
    """No kind for this Content-Type (or an unknown charset): the request is answered 415."""


@dataclass(frozen=True)
class MediaType:
    """A parsed Content-Type: the request kind it maps to, the lower-cased mimetype and its parameters."""

    kind: RequestKind
    mimetype: str  # lower-cased type/subtype
    options: Dict[str, str]  # parameters; werkzeug lower-cases their names

    @property
    def charset(self) -> Optional[str]:
        return self.options.get("charset")


def classify(content_type: Optional[str]) -> MediaType:
    """The media type of a Content-Type header value; raises UnsupportedMediaType."""
    if content_type is None or not content_type.strip():
        raise UnsupportedMediaType(f"The request has no Content-Type header. Supported types: {SUPPORTED}.")
    mimetype, options = parse_options_header(content_type)
    mimetype = mimetype.lower()
    kind = _KINDS.get(mimetype)
    if kind is None and mimetype.startswith("application/") and mimetype.endswith("+json"):
        kind = JSON
    if kind is None:
        raise UnsupportedMediaType(
            f"Content-Type '{content_type}' is not supported. Supported types: {SUPPORTED}."
        )
    return MediaType(kind, mimetype, {k.lower(): v for k, v in options.items()})
