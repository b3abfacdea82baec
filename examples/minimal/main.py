"""pyqueue in a PyScript page: one task type, one handler, a button that enqueues."""

import asyncio
from dataclasses import dataclass

from pyscript import document, when

from pyqueue import Queue, QueueRunner, TaskContext, TaskRegistry
from pyqueue.browser.indexeddb_store import IndexedDBStore

registry = TaskRegistry()


@dataclass
class Greeting:
    name: str


@registry.task("greet")
async def greet(payload: Greeting, ctx: TaskContext) -> str:
    return f"Hello, {payload.name}!"


render_lock = asyncio.Lock()


async def show_tasks() -> None:
    """List the tasks and their statuses, as text; one render at a time, so the last one wins."""
    async with render_lock:
        items = []
        for task in await queue.tasks(limit=20):
            item = document.createElement("li")
            item.textContent = f"{task.type} {task.id}: {task.status}"
            item.dataset.status = task.status
            items.append(item)
        document.getElementById("tasks").replaceChildren(*items)


@when("click", "#enqueue")
async def enqueue(event: object) -> None:
    await queue.enqueue("greet", Greeting("world"))


store = await IndexedDBStore.open("pyqueue-minimal-example")
queue = Queue(store, registry)
runner = QueueRunner(queue)
queue.on_enqueue(lambda _tasks: asyncio.ensure_future(show_tasks()))
runner.on_change(lambda: asyncio.ensure_future(show_tasks()))
runner.start()
await show_tasks()
document.getElementById("enqueue").disabled = False
