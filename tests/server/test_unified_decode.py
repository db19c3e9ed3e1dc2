"""Request body -> the value handed to `infer` (fastml contract §3)."""

from __future__ import annotations

import io
from typing import Any

import flask
import pytest
from azmlinfsrv.unified.decode import BadRequestBody, Decoded, decode
from azmlinfsrv.unified.media import UnsupportedMediaType, classify
from werkzeug.datastructures import FileStorage

APP = flask.Flask(__name__)
BOUNDARY = "b0undary"


def _decode(body: bytes, content_type: str, legacy: bool = False) -> Decoded:
    # The raw body as given: with `data=`, the test client would re-encode form bodies itself.
    with APP.test_request_context(
        "/infer",
        method="POST",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=content_type,
    ):
        return decode(flask.request, classify(content_type), legacy_forms=legacy)


def _multipart(*parts: tuple[str, str | None, bytes, str | None]) -> bytes:
    """A multipart body from (name, filename, content, part content type), in the order given."""
    chunks = []
    for name, filename, content, part_type in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if part_type:
            head += f"Content-Type: {part_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + content + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"a": 1}', {"a": 1}),
        (b"null", None),
        (b"3", 3),
        (b'"s"', "s"),
        (b"[1, 2]", [1, 2]),
        (b"true", True),
    ],
)
def test_json_is_parsed_whatever_its_top_level(body: bytes, value: Any) -> None:
    assert _decode(body, "application/json").value == value


@pytest.mark.parametrize("body", [b"", b"{bad"])
def test_invalid_json_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequestBody, match="Invalid JSON body"):
        _decode(body, "application/json")


def test_json_that_is_not_valid_text_is_a_bad_request() -> None:
    with pytest.raises(BadRequestBody, match="not valid utf-8"):
        _decode(b'"\xff"', "application/json")


def test_text_uses_the_charset_parameter() -> None:
    assert _decode("café".encode(), "text/plain").value == "café"
    assert _decode("café".encode("latin-1"), "text/plain; charset=latin-1").value == "café"
    assert _decode("日本".encode("shift_jis"), "text/plain; charset=Shift_JIS").value == "日本"
    assert _decode(b"", "text/plain").value == ""


def test_text_invalid_for_its_charset_is_a_bad_request() -> None:
    with pytest.raises(BadRequestBody):
        _decode(b"\xff", "text/plain")


@pytest.mark.parametrize("charset", ["nope", "base64", "rot13"])
def test_unknown_charsets_are_unsupported(charset: str) -> None:
    with pytest.raises(UnsupportedMediaType, match=charset):
        _decode(b"", f"text/plain; charset={charset}")


def test_binary_is_bytes() -> None:
    assert _decode(b"\x00\xffRAW", "application/octet-stream").value == b"\x00\xffRAW"
    assert _decode(b"", "binary").value == b""


def test_urlencoded_repeated_names_become_lists() -> None:
    assert _decode(b"a=1&b=x&b=y&c=", "application/x-www-form-urlencoded").value == {
        "a": "1",
        "b": ["x", "y"],
        "c": "",
    }
    assert _decode(b"", "application/x-www-form-urlencoded").value == {}
    assert _decode(b"n=caf%E9", "application/x-www-form-urlencoded; charset=latin-1").value == {"n": "café"}


def test_urlencoded_escapes_invalid_in_the_charset_are_a_bad_request() -> None:
    with pytest.raises(BadRequestBody):
        _decode(b"n=%FF", "application/x-www-form-urlencoded")


def test_multipart_keeps_arrival_order_lists_and_file_objects() -> None:
    body = _multipart(
        ("photo", "a.png", b"PNG1\nline2", "image/png"),
        ("name", None, b"alice", None),
        ("photo", "b.png", b"PNG2", None),
        ("tag", None, b"x", None),
        ("tag", None, b"y", None),
        ("empty", "", b"", None),
    )
    decoded = _decode(body, MULTIPART)
    value = decoded.value
    assert list(value) == ["photo", "name", "tag", "empty"]
    assert value["name"] == "alice"
    assert value["tag"] == ["x", "y"]
    first, second = value["photo"]
    assert isinstance(first, FileStorage)
    assert (first.filename, first.name, first.content_type) == ("a.png", "photo", "image/png")
    assert first.tell() == 0
    assert first.readline() == b"PNG1\n"
    first.seek(0)
    assert list(first) == [b"PNG1\n", b"line2"]
    assert second.read() == b"PNG2"
    assert second.content_type is None
    assert value["empty"].filename == ""
    assert decoded.files == [first, second, value["empty"]]


def test_multipart_legacy_shapes() -> None:
    body = _multipart(
        ("t", None, b"1", None),
        ("t", None, b"2", None),
        ("f", "x.txt", b"X", None),
        ("f", "y.txt", b"Y", None),
    )
    value = _decode(body, MULTIPART, legacy=True).value
    assert value["t"] == "1"
    assert list(value["f"]) == ["x.txt", "y.txt"]
    assert value["f"]["y.txt"].read() == b"Y"


def test_multipart_without_parts_is_an_empty_dict() -> None:
    assert _decode(b"", MULTIPART).value == {}
    assert _decode(f"--{BOUNDARY}--\r\n".encode(), MULTIPART).value == {}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"anything", "multipart/form-data"),
        (b"garbage", MULTIPART),
        (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=a\r\n\r\nunterminated".encode(), MULTIPART),
        (f"--{BOUNDARY}\r\nX-No-Disposition: 1\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(), MULTIPART),
    ],
)
def test_malformed_multipart_is_a_bad_request(body: bytes, content_type: str) -> None:
    with pytest.raises(BadRequestBody, match="Malformed multipart"):
        _decode(body, content_type)
