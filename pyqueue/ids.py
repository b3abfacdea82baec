"""Random identifiers for tasks and runners.

``os.urandom(16).hex()`` has the shape of ``uuid.uuid4().hex`` (32 hex digits,
128 random bits instead of 122) without importing :mod:`uuid`: the standard
library ships as source in Pyodide, and compiling ``uuid`` took 30-115 ms of a
page's start before its first task (benches/NOTES-perf.md, "Round 3: first task").
"""

from __future__ import annotations

import os


def random_hex(n_bytes: int = 16) -> str:
    """*n_bytes* from the platform's secure random source (``crypto.getRandomValues`` in a browser), as hex."""
    return os.urandom(n_bytes).hex()
