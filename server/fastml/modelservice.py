"""`BaseService`, importable in `fastml server` as `fastml_engine.modelservice` (see aliases.py).

A service of the inference-template-python layout subclasses it in `src/inference.py` (contract §9).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from typing import Any


class BaseService(ABC):
    def __init__(self, service_path: str, model_path: str) -> None:
        self.service_path = service_path
        self.model_path = model_path
        self.load_context()

    @abstractmethod
    def load_context(self) -> None:
        """Load the model and other resources; runs once per worker process, before it serves."""

    @abstractmethod
    def infer(self, input_data: Any) -> Any:
        """Answer one request; `input_data` is the decoded body (str, bytes, a JSON value or a form dict)."""

    def endpoint(self) -> str:
        return type(self).__name__.lower()

    def health(self) -> Any:
        return {"status": "UP"}

    def info(self) -> Any:
        return f"{sys.version_info[0]}.{sys.version_info[1]}"
