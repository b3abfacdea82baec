"""pyqueue in a PyScript page: one task type, one handler, a button that enqueues, the dashboard."""

from dataclasses import dataclass

from pyscript import document, when

import pyqueue.browser
from pyqueue import TaskContext, TaskRegistry
from pyqueue.browser.dashboard import mount_dashboard

registry = TaskRegistry()


@dataclass
class Greeting:
    name: str


@registry.task("greet")
async def greet(payload: Greeting, ctx: TaskContext) -> str:
    if document.getElementById("fail").checked:  # an outage: untick, then retry the task from the dashboard
        raise ConnectionError(f"could not greet {payload.name}: the 'fail' box is ticked")
    return f"Hello, {payload.name}!"


@when("click", "#enqueue")
async def enqueue(event: object) -> None:
    await browser_queue.queue.enqueue("greet", Greeting(document.getElementById("name").value))


browser_queue = await pyqueue.browser.start(registry, db_name="pyqueue-minimal-example")
dashboard = mount_dashboard("pyqueue-dashboard", browser_queue.queue, browser_queue.runner)
browser_queue.on_change(dashboard.request_render)  # also redraw when another tab changes the queue
document.getElementById("enqueue").disabled = False
