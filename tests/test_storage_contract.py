"""The storage contract (``contract_cases.py``) against the in-memory store, one test per case."""

from __future__ import annotations

import pytest

from pyqueue import MemoryStore

from .async_support import run
from .contract_cases import CASES, T0


@pytest.mark.parametrize("name", sorted(CASES))
def test_memory_store_contract(name: str) -> None:
    store = MemoryStore(clock=lambda: T0)
    run(CASES[name](store))
