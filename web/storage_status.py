"""Storage in the header: ask the browser to keep this origin's data, and show how much of the quota is used."""

from __future__ import annotations

import js  # type: ignore[import-not-found]

from .panel import Panel


class StorageStatus:
    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self._persistent: bool | None = None

    async def persist(self) -> None:
        """Ask for persistent storage once (unless granted already), then show the answer."""
        storage = getattr(js.navigator, "storage", None)
        if storage is None:
            return
        try:
            self._persistent = bool(await storage.persisted()) or bool(await storage.persist())
        except Exception:  # not offered in this context (e.g. an insecure origin)
            self._persistent = None
        await self.show()

    async def show(self) -> None:
        storage = getattr(js.navigator, "storage", None)
        if storage is None:
            self.panel.show_storage(None, None, None)
            return
        estimate = await storage.estimate()
        self.panel.show_storage(float(estimate.usage), float(estimate.quota), self._persistent)
