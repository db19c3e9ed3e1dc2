"""The plugin's former module, kept so that test files written against it still import: the strategies only.

The plugin itself is `scorecheck.plugin` (the pytest11 entry point); this module defines no hooks, so naming
it with `-p` adds nothing and registers nothing twice.
"""

from __future__ import annotations

from .plugin import score_malformed_payloads, score_payloads

__all__ = ["score_malformed_payloads", "score_payloads"]
