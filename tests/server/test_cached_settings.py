"""server/runners/cached_settings.py: a worker's gunicorn settings kept after their first read, with the same
values, and still following `cfg.set()`."""

from __future__ import annotations

import sys

import pytest
from azmlinfsrv.runners.cached_settings import cache_settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn does not run on Windows")

if sys.platform != "win32":
    from gunicorn.config import Config


def test_every_setting_reads_the_same_before_and_after() -> None:
    plain, cached = Config(), Config()
    assert cache_settings(cached)
    for name in plain.settings:
        assert getattr(cached, name) == getattr(plain, name), name
        assert getattr(cached, name) == getattr(plain, name), name  # the kept value this time


def test_a_second_read_does_not_go_through_gunicorns_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config()
    cache_settings(cfg)
    calls: list[str] = []
    original = Config.__getattr__

    def spy(self: Config, name: str) -> object:
        calls.append(name)
        return original(self, name)

    monkeypatch.setattr(Config, "__getattr__", spy)
    for _ in range(3):
        assert cfg.limit_request_line == 4094
    assert calls == ["limit_request_line"]


def test_set_is_still_seen_and_properties_still_computed() -> None:
    cfg = Config()
    cache_settings(cfg)
    assert cfg.limit_request_line == 4094
    assert not cfg.is_ssl
    cfg.set("limit_request_line", 100)
    cfg.set("certfile", "/tmp/cert.pem")
    assert cfg.limit_request_line == 100
    assert cfg.is_ssl


def test_unknown_names_still_raise() -> None:
    cfg = Config()
    cache_settings(cfg)
    with pytest.raises(AttributeError, match="No configuration setting for: no_such_setting"):
        _ = cfg.no_such_setting


def test_made_once_and_only_for_a_config() -> None:
    cfg = Config()
    assert cache_settings(cfg)
    swapped = type(cfg)
    assert cache_settings(cfg)
    assert type(cfg) is swapped
    assert type(Config()) is Config  # other Config objects keep gunicorn's class

    class NotAConfig:
        pass

    assert not cache_settings(NotAConfig())
