"""The "Enqueue by hand" card: the developer form, the demo buttons, and the enqueue call behind the form."""

from __future__ import annotations

import json
from typing import Any

from pyqueue import Queue, QueueError
from pyqueue.jsondata import NotJSONData
from pyqueue.untrusted import loads

from .api_errors import error_json
from .background import spawn
from .dom import by_id, el, on
from .panel import Panel


class EnqueueForm:
    def __init__(self, queue: Queue, panel: Panel) -> None:
        self.queue = queue
        self.panel = panel

    def wire(self) -> None:
        on("enqueue-form", "submit", self._on_submit)
        on("add-demo", "click", lambda _e: spawn(self._add_demo()))
        on("add-failing", "click", lambda _e: spawn(self._add_failing()))
        datalist = by_id("known-types")
        datalist.replaceChildren(*(el("option", value=name) for name in self.queue.registry.names))

    def _on_submit(self, event: Any) -> None:
        event.preventDefault()
        spawn(self._submit_form())

    async def _submit_form(self) -> None:
        task_type = str(by_id("task-type").value).strip()
        options: dict[str, Any] = {}
        for field, key in (("priority", "priority"), ("delay-ms", "delay_ms")):
            raw = str(by_id(field).value).strip()
            if raw:
                options[key] = int(raw) if key == "priority" and raw.lstrip("-").isdigit() else float(raw)
        result = json.loads(await self.enqueue_json(task_type, str(by_id("payload").value), json.dumps(options)))
        if "error" in result:
            self.panel.show_message(result["error"]["message"], error=True)
        else:
            self.panel.show_message(f"enqueued {task_type} as {result['id']}", error=False)

    async def enqueue_json(self, task_type: str, payload_json: str, options_json: str = "{}") -> str:
        """Enqueue from JSON text; answer JSON ``{"id": ...}`` or ``{"error": {"kind", "message"}}``.

        The page's form and ``window.pyqueueApp.enqueue`` (for tests and the
        console) both go through here, so both show the same clear errors. The
        texts are untrusted: they are read with :func:`pyqueue.untrusted.loads`,
        which measures nesting before parsing (a deep payload would crash Pyodide).
        """
        try:
            payload = loads(payload_json or "{}", what="payload")
        except NotJSONData as e:
            return error_json("InvalidPayload", str(e))
        try:
            options = loads(options_json or "{}", what="options")
            if not isinstance(options, dict):
                raise TypeError(f"options must be a JSON object, not {type(options).__name__}")
            task_id = await self.queue.enqueue(task_type, payload, **options)
        except QueueError as e:
            return error_json(type(e).__name__, str(e))
        except (TypeError, NotJSONData) as e:
            return error_json("InvalidOption", f"bad options: {e}")
        return json.dumps({"id": task_id})

    async def _add_demo(self) -> None:
        for i in range(5):
            await self.queue.enqueue("demo.work", {"label": f"demo {i + 1}", "duration_ms": 400})

    async def _add_failing(self) -> None:
        await self.queue.enqueue("demo.flaky", {"label": "always fails", "fail_first": 99})
