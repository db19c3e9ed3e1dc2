"""The sticky interrupt record: raised at once only while allowed, raised again at every boundary until handled."""

from __future__ import annotations

import signal
from typing import Iterator

import pytest

from scorecheck import interrupts


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    interrupts.reset()
    yield
    interrupts.reset()


def test_nothing_received_nothing_raised() -> None:
    interrupts.check()
    assert not interrupts.interrupted()
    assert interrupts.name() == ""


def test_during_set_up_an_interrupt_is_only_recorded() -> None:
    interrupts.received(signal.SIGTERM)  # raising is off: the handler returns
    assert interrupts.interrupted()
    assert interrupts.name() == "SIGTERM"
    with pytest.raises(KeyboardInterrupt):
        interrupts.check()


def test_during_a_run_it_raises_and_keeps_raising_until_handled() -> None:
    interrupts.allow_raise(True)
    with pytest.raises(KeyboardInterrupt):
        interrupts.received(signal.SIGINT)
    # Swallowed somewhere (a gc callback): every boundary raises it again.
    for _ in range(3):
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
    interrupts.handled()
    interrupts.check()  # the run is acting on it: no more raising, even for a second Ctrl-C
    interrupts.received(signal.SIGINT)
    interrupts.check()
    assert interrupts.interrupted()
