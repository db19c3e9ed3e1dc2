"""Content-Type -> request kind (fastml contract §2)."""

from __future__ import annotations

import pytest
from azmlinfsrv.unified.media import UnsupportedMediaType, classify


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("application/json", "json"),
        ("Application/JSON; charset=UTF-8", "json"),
        ("application/problem+json", "json"),
        ("application/vnd.api+json; x=1", "json"),
        ("text/plain", "text"),
        ("text/plain;charset=latin-1", "text"),
        ("TEXT/PLAIN", "text"),
        ("application/octet-stream", "binary"),
        ("application/octet-stream; foo=bar", "binary"),
        ("binary", "binary"),
        ("multipart/form-data; boundary=xyz", "form"),
        ("application/x-www-form-urlencoded", "form"),
    ],
)
def test_supported_media_types_map_to_their_kind(header: str, kind: str) -> None:
    assert classify(header).kind == kind


def test_charset_and_boundary_parameters_are_kept() -> None:
    assert classify("text/plain; Charset=latin-1").charset == "latin-1"
    assert classify('multipart/form-data; boundary="a b"').options["boundary"] == "a b"
    assert classify("text/plain").charset is None


@pytest.mark.parametrize("header", [None, "", "   ", "image/png", "text/csv", "application/xml", "json"])
def test_missing_or_other_types_are_unsupported(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        classify(header)
    assert "application/json" in str(caught.value)  # the message lists what is supported
