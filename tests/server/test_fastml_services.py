"""Service discovery in the fastml layout (contract §9) and the default service for /infer."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from azmlinfsrv.fastml import aliases
from azmlinfsrv.fastml.modelservice import BaseService
from azmlinfsrv.fastml.services import load_fastml_services
from azmlinfsrv.unified.services import ServiceLoadError, ServiceSet

HEADER = "from fastml_engine.modelservice import BaseService\n\n"


def _direct(func: Callable[[Any], Any], value: Any) -> Any:
    return func(value)


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """The alias finder, sys.path and the `inference` module are process-wide: restore them afterwards."""
    meta_path, path = list(sys.meta_path), list(sys.path)
    aliases.install()
    yield
    sys.meta_path[:] = meta_path
    sys.path[:] = path
    for name in ("inference", "fastml_engine", "fastml_engine.modelservice", "helper_mod"):
        sys.modules.pop(name, None)


def _service(tmp_path: Path, source: str) -> Path:
    src = tmp_path / "svc" / "src"
    src.mkdir(parents=True)
    (src / "inference.py").write_text(HEADER + textwrap.dedent(source))
    return tmp_path / "svc"


def _load(root: Path) -> ServiceSet:
    return load_fastml_services(str(root), str(root / "model"), _direct)


@pytest.mark.usefixtures("isolated_imports")
def test_the_alias_is_our_base_class() -> None:
    from fastml_engine.modelservice import BaseService as Aliased

    assert Aliased is BaseService


@pytest.mark.usefixtures("isolated_imports")
def test_leaf_concrete_subclasses_are_services_in_class_name_order(tmp_path: Path) -> None:
    root = _service(
        tmp_path,
        """
        import abc
        class Zeta(BaseService):
            def load_context(self): self.loaded = True
            def infer(self, data): return ("zeta", data, self.service_path, self.model_path)
        class Parent(BaseService):
            def load_context(self): pass
            def infer(self, data): return "parent"
        class Child(Parent):
            pass
        class Abstract(BaseService):
            @abc.abstractmethod
            def more(self): ...
        Alias = Zeta
    """,
    )
    services = _load(root)
    assert services.names == ["child", "zeta"]
    assert services.default is None  # several, none called `inference`
    zeta = services.get("zeta")
    assert zeta is not None
    assert zeta.infer(1) == ("zeta", 1, str(root), str(root / "model"))
    assert zeta.health() == {"status": "UP"}
    assert zeta.info() == f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.mark.usefixtures("isolated_imports")
def test_imported_subclasses_count_and_src_is_importable(tmp_path: Path) -> None:
    root = _service(
        tmp_path,
        """
        from helper_mod import Imported
    """,
    )
    (root / "src" / "helper_mod.py").write_text(
        HEADER
        + textwrap.dedent("""
        class Imported(BaseService):
            def load_context(self): pass
            def infer(self, data): return data
            def endpoint(self): return "custom-arr"
    """)
    )
    services = _load(root)
    assert services.names == ["custom-arr"]
    assert services.default is services.get("custom-arr")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "No service found"),
        ("raise RuntimeError('import broke')\n", "import broke"),
        (
            "class A(BaseService):\n    def load_context(self): raise OSError('no model')\n"
            "    def infer(self, d): pass\n",
            "Loading the service A failed: OSError: no model",
        ),
        (
            "class A(BaseService):\n    def load_context(self): pass\n    def infer(self, d): pass\n"
            "    def endpoint(self): return 'same'\n"
            "class B(A):\n    pass\nclass C(BaseService):\n    def load_context(self): pass\n"
            "    def infer(self, d): pass\n    def endpoint(self): return 'same'\n",
            "Two services have the endpoint 'same'",
        ),
    ],
)
@pytest.mark.usefixtures("isolated_imports")
def test_load_failures(tmp_path: Path, source: str, message: str) -> None:
    root = _service(tmp_path, source)
    with pytest.raises(ServiceLoadError, match=message):
        _load(root)


def test_missing_inference_module(tmp_path: Path) -> None:
    with pytest.raises(ServiceLoadError, match="does not exist"):
        _load(tmp_path)


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name

    def infer(self, input_data: Any) -> Any:
        return self.name

    def health(self) -> Any:
        return {}

    def info(self) -> Any:
        return ""


def test_default_service_is_the_only_one_or_inference() -> None:
    only = _Named("anything")
    assert ServiceSet([only]).default is only
    inference = _Named("inference")
    assert ServiceSet([_Named("a"), inference]).default is inference
    assert ServiceSet([_Named("a"), _Named("b")]).default is None
    assert ServiceSet([]).default is None
