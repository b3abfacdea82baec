"""Run inside a fresh install of the wheel (a CPython venv, or Pyodide in Chromium), not from the repo.

``await check()`` runs one task through :class:`~pyqueue.MemoryStore` and says where
pyqueue was imported from, so a test can tell the installed wheel from the repo's sources.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path

import pyqueue
from pyqueue import MemoryStore, Queue, QueueRunner, TaskContext, TaskRegistry


@dataclass
class Add:
    a: int
    b: int


async def check() -> dict[str, object]:
    registry = TaskRegistry()

    @registry.task("add")
    async def add(payload: Add, ctx: TaskContext) -> int:
        return payload.a + payload.b

    queue = Queue(MemoryStore(), registry)
    task_id = await queue.enqueue("add", Add(2, 3))
    await QueueRunner(queue).run_burst()
    task = await queue.get(task_id)
    package = Path(pyqueue.__file__).parent
    return {
        "package_dir": str(package),
        "version": importlib.metadata.version("pyqueue-idb"),
        "py_typed": (package / "py.typed").is_file(),
        "status": str(task.status),
        "result": task.result,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(check())))
