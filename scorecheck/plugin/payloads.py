"""Hypothesis strategies for `@given` tests: the session server's input schema and the fixture cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .state import ACTIVE

if TYPE_CHECKING:  # pragma: no cover
    from hypothesis.strategies import SearchStrategy

    from ..model import RequestSpec


def payload_strategy(malformed: bool) -> SearchStrategy[RequestSpec]:
    from hypothesis import strategies as st

    from ..phases.strategies import malformed_requests

    if malformed:
        return malformed_requests()
    return st.deferred(_session_payloads)


def _session_payloads() -> SearchStrategy[RequestSpec]:
    """Built on the first draw: the server's input schema and the fixture cases as examples."""
    from ..phases.strategies import valid_requests

    state = ACTIVE[-1] if ACTIVE else None
    if state is None:
        raise RuntimeError(
            "score_payloads() needs a pytest session run with --score-entry (or --score-target)"
        )
    if state.server is None:
        raise RuntimeError(
            "score_payloads() draws from the session server's input schema: use the score_request "
            "(or score_server) fixture in this test so that the server is running"
        )
    cases = state.catalog.cases if state.catalog is not None else []
    return valid_requests(state.server.input_schema(), cases)
