"""Task types for the wiring tests, loaded into the browser pages (harness and wiring_page.html).

``nap`` sleeps for its payload's ``ms`` and answers which tab ran it, so a test
can tell which tab's runner took a task; ``fetch`` parks itself while the browser is offline.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from pyqueue import TaskContext, TaskRegistry
from pyqueue.browser.network import offline, online

TAB = {"name": "unnamed"}  # a test renames each tab

registry = TaskRegistry()


@dataclass
class Nap:
    ms: float = 0.0


@registry.task("nap")
async def nap(payload: Nap, ctx: TaskContext) -> dict[str, str]:
    await asyncio.sleep(payload.ms / 1000.0)
    return {"tab": TAB["name"]}


@registry.task("fetch")
async def fetch(payload: Nap, ctx: TaskContext) -> dict[str, str]:
    if not online():
        raise offline()
    return {"tab": TAB["name"]}


async def main() -> None:
    """What wiring_page.html runs: start the queue with the query's options, enqueue ``naps`` naps of ``ms``."""
    from urllib.parse import parse_qsl

    import js

    from pyqueue.browser import start

    query = dict(parse_qsl(str(js.location.search).lstrip("?")))
    options = json.loads(query.get("options", "{}"))
    TAB["name"] = query.get("tab", "page")
    browser_queue = await start(registry, db_name=query.get("db", "wiring-page"), **options)
    for _ in range(int(query.get("naps", "0"))):
        await browser_queue.queue.enqueue("nap", Nap(float(query.get("ms", "0"))))
