"""Make `import fastml_engine.modelservice` resolve to our module inside `fastml server`.

A meta-path finder rather than a real top-level `fastml_engine` package: a real one would clash, file for
file, with an installed fastml-engine distribution. The finder goes first on `sys.meta_path`, because inside
our server the engine is us: services must subclass our `BaseService` to be discovered, even when
fastml-engine itself happens to be installed.
"""

from __future__ import annotations

from ..compat.aliases import AliasFinder, install_finder

PACKAGE = "fastml_engine"
_MODULES = {f"{PACKAGE}.modelservice": "azmlinfsrv.fastml.modelservice"}


def install() -> None:
    """Idempotent; called in the `fastml server` process before any service is imported."""
    install_finder(AliasFinder(PACKAGE, _MODULES, {PACKAGE}), first=True)
