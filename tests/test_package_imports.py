"""``import pyqueue`` loads only what a page needs to start; the rest of its names load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pyqueue

ON_FIRST_USE = (
    "pyqueue.inline",
    "pyqueue.memory_store",
    "pyqueue.metrics",
    "pyqueue.cron",
    "pyqueue.importing",
    "calendar",
    "uuid",
)
"""Loaded only when a page uses them (calendar and uuid: never; compiling them cost the first task time)."""


def test_importing_pyqueue_leaves_the_modules_a_page_does_not_start_with() -> None:
    # A fresh interpreter: this test session has imported them all already.
    code = f"import sys, pyqueue, pyqueue.browser; print([m for m in {ON_FIRST_USE!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves_including_those_loaded_on_first_use() -> None:
    from pyqueue.inline import InlineQueue
    from pyqueue.memory_store import MemoryStore
    from pyqueue.metrics import collect_metrics

    assert pyqueue.MemoryStore is MemoryStore
    assert pyqueue.InlineQueue is InlineQueue
    assert pyqueue.collect_metrics is collect_metrics
    assert all(hasattr(pyqueue, name) for name in pyqueue.__all__)


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = pyqueue.no_such_name  # type: ignore[attr-defined]
