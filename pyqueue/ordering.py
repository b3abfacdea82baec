"""The order in which due tasks are claimed: priority first (higher first), then FIFO by enqueue sequence.

Both stores sort by :func:`claim_key`, so they agree on the order; the IndexedDB
store keeps it as a sparse index key, which is why it is a plain list of numbers.
"""

from __future__ import annotations

from .task import Task


def claim_key(task: Task) -> list[int]:
    """Ascending sort key of a pending task: lower keys are claimed first."""
    return [-task.priority, task.seq]
