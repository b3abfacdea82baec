"""The "Add to memory" card: the note and goal forms, the sample button, and the calls behind the forms.

A form says "Note added" only once the note reads back from storage with its
extraction queued. A write the browser refused (a full disk raises
``QuotaExceeded``) or one that did not stick says "The note was not saved", or,
when the note was kept but its extraction could not be queued, says that.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pyqueue import QueueError

from .api_errors import error_json
from .background import spawn
from .dom import by_id, on
from .memory import logic
from .memory.logic import NoteError
from .memory.model import Unit
from .memory.tasks import MemoryWorker
from .memory.text import content_hash, normalize
from .panel import Panel
from .samples import SAMPLE_GOALS, SAMPLE_NOTES


class NotSaved(Exception):
    """Raised when a form's write did not reach storage (or only half of it did); the message says which."""


class MemoryForms:
    def __init__(self, worker: MemoryWorker, panel: Panel, changed: Callable[[], None]) -> None:
        self.worker = worker
        self.panel = panel
        self.changed = changed

    def wire(self) -> None:
        on("note-form", "submit", self._on_note)
        on("goal-form", "submit", self._on_goal)
        on("add-samples", "click", lambda _e: spawn(self._add_samples()))

    def _on_note(self, event: Any) -> None:
        event.preventDefault()
        text = str(by_id("note-text").value)
        spawn(self._submit_note(text))

    async def _submit_note(self, text: str) -> None:
        answer = json.loads(await self.add_note_json(text))
        if "error" in answer:
            self.panel.show_message(answer["error"]["message"], error=True, target="note-message")
            return
        by_id("note-text").value = ""
        if answer["created"]:
            message = "Note added: extracting its claims in the background."
        elif answer["changed"]:
            message = "Note updated: extracting the new version."
        else:
            message = "You already saved this note: it is extracted once."
        self.panel.show_message(message, error=False, target="note-message")

    async def add_note_json(self, text: str) -> str:
        """Save a note and enqueue its extraction; JSON ``{unit_id, created, changed, task_id}`` or an error."""

        async def add() -> dict[str, Any]:
            try:
                saved, task_id = await self.worker.add_note(text)
            except QueueError as e:
                raise NotSaved(await self._what_was_kept(text, e)) from None
            if not await self._reads_back(saved.unit, task_id):
                raise NotSaved("The note was not saved: it did not read back from storage (is the disk full?).")
            return {"unit_id": saved.unit.id, "created": saved.created, "changed": saved.changed, "task_id": task_id}

        return await self._answer(add())

    async def _reads_back(self, unit: Unit, task_id: str) -> bool:
        """True if *unit* (this version of it) and its extraction task are both in storage."""
        try:
            stored = (await self.worker.memory.read()).units.get(unit.id)
            task = await self.worker.queue.get(task_id)
        except QueueError:
            return False
        return stored is not None and stored.content_hash == unit.content_hash and task is not None

    async def _what_was_kept(self, text: str, error: QueueError) -> str:
        """Why a note failed, saying whether the note itself was kept (only its extraction then failed)."""
        clean = normalize(text)
        try:
            stored = (await self.worker.memory.read()).units.get(logic.unit_id_for(clean))
        except QueueError:
            return f"The note may not have been saved: {error}"
        if stored is not None and stored.content_hash == content_hash(clean):
            return f"The note was saved, but its extraction could not be queued: {error}. Add it again to retry."
        return f"The note was not saved: {error}"

    async def add_notes_json(self, texts_json: str) -> str:
        answers = [json.loads(await self.add_note_json(text)) for text in json.loads(texts_json)]
        return json.dumps(answers)

    def _on_goal(self, event: Any) -> None:
        event.preventDefault()
        spawn(self._submit_goal(str(by_id("goal-text").value)))

    async def _submit_goal(self, text: str) -> None:
        answer = json.loads(await self.add_goal_json(text))
        if "error" in answer:
            self.panel.show_message(answer["error"]["message"], error=True, target="note-message")
        else:
            by_id("goal-text").value = ""
            self.panel.show_message("Goal set: checking it against your notes.", error=False, target="note-message")

    async def add_goal_json(self, text: str) -> str:
        """Save a goal and enqueue its first check; JSON ``{goal_id, task_id}`` or an error."""

        async def add() -> dict[str, Any]:
            goal_id, task_id = await self.worker.add_goal(text)
            return {"goal_id": goal_id, "task_id": task_id}

        return await self._answer(add())

    async def _answer(self, step: Awaitable[dict[str, Any]]) -> str:
        """What *step* saved, as JSON (and the page is told something changed); or the error that stopped it."""
        try:
            answer = await step
        except (NoteError, NotSaved, QueueError) as e:
            return error_json(type(e).__name__, str(e))
        self.changed()
        return json.dumps(answer)

    async def _add_samples(self) -> None:
        try:
            for goal in SAMPLE_GOALS:
                await self.worker.add_goal(goal)
            for note in SAMPLE_NOTES:
                await self.worker.add_note(note)
        except QueueError as e:
            self.panel.show_message(f"The sample notes were not all saved: {e}", error=True, target="note-message")
            self.changed()
            return
        self.panel.show_message(
            f"Added {len(SAMPLE_NOTES)} sample notes and {len(SAMPLE_GOALS)} goals.", error=False, target="note-message"
        )
        self.changed()
