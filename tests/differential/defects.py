"""Parity defects of our server the suite knows about: none open (the issue 14 ones are fixed).

A newly found defect gets a `Defect` here and its `mark()` on the tests that expose it: a strict xfail, so the
fix turns it into a failure (XPASS) that says to remove the mark.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Defect:
    key: str
    reason: str

    def mark(self) -> pytest.MarkDecorator:
        return pytest.mark.xfail(strict=True, reason=f"parity defect: {self.reason}")
