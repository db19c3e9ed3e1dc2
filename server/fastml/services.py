"""The services of a fastml service folder: found in `<service-path>/src/inference.py` (contract §9), each run
through the worker's inference pool."""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import types
from typing import Any, Callable, List

from ..unified.services import ServiceLoadError, ServiceSet
from .modelservice import BaseService

SERVICE_MODULE = "inference"


Caller = Callable[[Callable[[Any], Any], Any], Any]


class FastmlService:
    """A loaded `BaseService` whose `infer` runs through `call` (the worker's inference pool)."""

    def __init__(self, instance: BaseService, call: Caller) -> None:
        self.instance = instance
        self._call = call
        self._name = str(instance.endpoint())

    @property
    def name(self) -> str:
        return self._name

    def infer(self, input_data: Any) -> Any:
        return self._call(self.instance.infer, input_data)

    def health(self) -> Any:
        return self.instance.health()

    def info(self) -> Any:
        return self.instance.info()


def load_fastml_services(service_path: str, model_path: str, call: Caller) -> ServiceSet:
    """Import `<service_path>/src/inference.py` and instantiate its services (contract §9)."""
    module = _import_inference(service_path)
    classes = service_classes(module)
    if not classes:
        raise ServiceLoadError(
            f"No service found in {module.__file__}: define a concrete subclass of "
            "fastml_engine.modelservice.BaseService there."
        )
    return ServiceSet([_instantiate(cls, service_path, model_path, call) for cls in classes])


def _import_inference(service_path: str) -> types.ModuleType:
    src = os.path.join(service_path, "src")
    path = os.path.join(src, f"{SERVICE_MODULE}.py")
    if not os.path.isfile(path):
        raise ServiceLoadError(f"No service found: {path} does not exist.")
    sys.path.insert(0, src)
    # Loaded by path and registered under its name first, so an `inference.py` elsewhere on sys.path (the
    # current directory, say) can neither shadow it nor be imported instead of it.
    spec = importlib.util.spec_from_file_location(SERVICE_MODULE, path)
    if spec is None or spec.loader is None:
        raise ServiceLoadError(f"Cannot load {path} as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[SERVICE_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(SERVICE_MODULE, None)
        raise ServiceLoadError(f"Importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module


def service_classes(module: types.ModuleType) -> List[type]:
    """Concrete BaseService subclasses in the module's namespace with no subclass there, by class name."""
    visible = {obj for obj in vars(module).values() if isinstance(obj, type) and issubclass(obj, BaseService)}
    visible.discard(BaseService)
    leaves = [
        cls for cls in visible if not any(other is not cls and issubclass(other, cls) for other in visible)
    ]
    concrete = [cls for cls in leaves if not inspect.isabstract(cls)]
    return sorted(concrete, key=lambda cls: (cls.__name__, cls.__module__))


def _instantiate(cls: type, service_path: str, model_path: str, call: Caller) -> FastmlService:
    """Construct the class (which runs its load_context()) and read its endpoint."""
    try:
        instance = cls(service_path, model_path)
        if not isinstance(instance, BaseService):
            raise TypeError(f"{cls.__name__}() did not return a BaseService instance")
        return FastmlService(instance, call)
    except BaseException as exc:
        raise ServiceLoadError(
            f"Loading the service {cls.__name__} failed: {type(exc).__name__}: {exc}"
        ) from exc
