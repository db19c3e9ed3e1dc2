"""A worker's gunicorn settings, read at the speed of a plain attribute.

gunicorn's `Config` answers every `cfg.<setting>` through `__getattr__`, a Python call and two dictionary look-ups;
the sync worker and its HTTP parser make about 24 of those per request, all for values that do not change while
the worker runs. `cache_settings` gives the worker's own `Config` object a subclass that keeps each value in the
instance after its first read. It is made in the worker process (forked from the arbiter), so the arbiter's
settings are untouched, and `cfg.set()` drops the kept value, so a later change is still seen.
"""

from __future__ import annotations

from typing import Any

_MARK = "_azmlinfsrv_cached_settings"


def cache_settings(cfg: Any) -> bool:
    """Swap `cfg`'s class for a caching subclass of it, once; False when `cfg` is not a gunicorn Config."""
    base = type(cfg)
    if getattr(base, _MARK, False):
        return True
    if not callable(getattr(base, "__getattr__", None)) or not callable(getattr(base, "set", None)):
        return False
    cfg.__class__ = _caching(base)
    return True


def _caching(base: Any) -> Any:
    class CachedConfig(base):  # type: ignore[misc]
        def __getattr__(self, name: str) -> Any:
            value = base.__getattr__(self, name)
            # Config.__setattr__ refuses setting names, so the value goes straight into the instance dict; a
            # property of the same name (is_ssl, ...) still wins over it, as before.
            self.__dict__[name] = value
            return value

        def set(self, name: str, value: Any) -> None:
            base.set(self, name, value)
            self.__dict__.pop(name, None)

    setattr(CachedConfig, _MARK, True)
    CachedConfig.__name__ = CachedConfig.__qualname__ = f"Cached{base.__name__}"
    return CachedConfig
