"""The memory app: notes (units) turned into claims, flags, chains, goals, summaries and syntheses.

Plain Python except :mod:`.idb_store`, the thin IndexedDB edge; the rest is
unit-tested under CPython (``tests/test_memory_*.py``).
"""
