"""Text from a run made safe for the HTML report: control characters visible, markup escaped."""

from __future__ import annotations

from html import escape

from .junit import escape_text


def text(value: str) -> str:
    """Any text from the run (payloads, log lines, names), safe inside an element or an attribute value.

    A hostile payload can hold NUL, ESC, lone surrogates and markup: the first become visible escapes (as in the
    JUnit report), the last is escaped, so the page stays well-formed and shows what was sent."""
    return escape(escape_text(value), quote=True)
