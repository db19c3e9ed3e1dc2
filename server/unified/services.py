"""What `/infer` calls: the `Service` protocol and the set of services one worker serves.

Routes only see the `Service` protocol; a service's `infer` already runs under its front-end's timeout rules
and raises `InferenceTimeout` when they cut it short. The services come from the entry script (entry_service.py)
or from the fastml layout (`azmlinfsrv.fastml.services`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol, Sequence

DEFAULT_ENDPOINT = "inference"


class InferenceTimeout(Exception):
    """`infer` did not finish in the allowed time (answered 504)."""


class ServiceLoadError(Exception):
    """The services cannot be loaded; the cause, if any, is chained (the command exits 3)."""


class Service(Protocol):
    @property
    def name(self) -> str: ...

    def infer(self, input_data: Any) -> Any: ...

    def health(self) -> Any: ...

    def info(self) -> Any: ...


class ServiceSet:
    """The services of one worker by endpoint, in load order."""

    def __init__(self, services: Sequence[Service]) -> None:
        self._by_name: Dict[str, Service] = {}
        for service in services:
            if service.name in self._by_name:
                raise ServiceLoadError(
                    f"Two services have the endpoint '{service.name}'; endpoints must be unique."
                )
            self._by_name[service.name] = service

    @property
    def names(self) -> List[str]:
        return list(self._by_name)

    def get(self, name: str) -> Optional[Service]:
        return self._by_name.get(name)

    @property
    def default(self) -> Optional[Service]:
        """The service behind `/infer`: the only one, else the one called `inference`, else none."""
        if len(self._by_name) == 1:
            return next(iter(self._by_name.values()))
        return self._by_name.get(DEFAULT_ENDPOINT)
