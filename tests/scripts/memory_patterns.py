"""Memory behaviours for the memory growth check's tests, chosen by $SC_MEMORY (called once per request).

- `leak`: keeps 100 kB on every call in a module-level list (the classic leak: history kept "for debugging");
- `once`: fills a 30 MB cache at the first call, then keeps nothing more (must not count as a leak);
- anything else (or unset): keeps nothing.

The bytes are written, not just allocated, so that they are resident (untouched pages are not).
"""

import os

PATTERN = os.environ.get("SC_MEMORY", "flat")
_kept = []
_cache = {}


def grow():
    if PATTERN == "leak":
        _kept.append(b"k" * 100_000)
    elif PATTERN == "once" and not _cache:
        _cache["table"] = b"c" * 30_000_000
