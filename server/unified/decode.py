"""Request body -> the one value handed to `infer(input_data)`, per request kind (contract §3)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, List, Optional

import flask
from werkzeug.datastructures import FileStorage

from . import forms
from .media import BINARY, FORM, MULTIPART, TEXT, MediaType, UnsupportedMediaType


class BadRequestBody(Exception):
    """The body cannot be decoded as its Content-Type says (answered 400)."""


class BodyTooLarge(Exception):
    """A multipart body over one of the documented limits of forms.py (answered 413)."""


# A \uD800-\uDFFF escape: the only way a lone surrogate, which no UTF-8 text can hold, gets into parsed JSON.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass
class Decoded:
    value: Any
    # Uploaded files in `value`: valid only during the call, closed by the caller afterwards.
    files: List[FileStorage] = field(default_factory=list)


def decode(request: flask.Request, media: MediaType, legacy_forms: bool = False) -> Decoded:
    """Raises BadRequestBody, or UnsupportedMediaType for an unknown charset."""
    _check_charset(media.charset)
    if media.kind == FORM:
        return _form(request, media, legacy_forms)
    body = request.get_data(cache=False)
    if media.kind == BINARY:
        return Decoded(body)
    if media.kind == TEXT:
        return Decoded(_text(body, media.charset))
    return Decoded(_json(_text(body, media.charset)))


def _json(text: str) -> Any:
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadRequestBody("Invalid JSON body: nested too deeply for the JSON decoder") from None
    except ValueError as exc:
        raise BadRequestBody(f"Invalid JSON body: {exc}") from exc
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadRequestBody(
                "Invalid JSON body: a \\u escape makes a lone surrogate, which is not a character "
                f"({exc.reason} at {exc.start}); send a valid surrogate pair or the character itself"
            ) from None
    return value


def _check_charset(charset: Optional[str]) -> None:
    if charset is None:
        return
    try:
        # One real byte, as decoding b"" skips the codec lookup. LookupError: an unknown name, or a codec that
        # is not a text encoding (base64, rot13); a UnicodeError only means this byte alone is not valid text.
        b"a".decode(charset)
    except UnicodeError:
        pass
    except LookupError:
        raise UnsupportedMediaType(f"Unknown charset '{charset}' in the Content-Type.") from None


def _text(body: bytes, charset: Optional[str]) -> str:
    encoding = charset or "utf-8"
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadRequestBody(f"The body is not valid {encoding} text: {exc}") from exc


def _form(request: flask.Request, media: MediaType, legacy: bool) -> Decoded:
    try:
        if media.mimetype == MULTIPART:
            pairs = forms.parse_multipart(
                request.stream, media.options.get("boundary"), request.content_length
            )
        else:
            pairs = forms.parse_urlencoded(request.get_data(cache=False), media.charset)
    except forms.FormError as exc:
        raise BadRequestBody(str(exc)) from exc
    except forms.FormTooLarge as exc:
        raise BodyTooLarge(str(exc)) from exc
    value = forms.to_legacy_dict(pairs) if legacy else forms.to_dict(pairs)
    return Decoded(value, forms.uploaded_files(pairs))
