"""Binding the page's Page Visibility events to a :class:`~pyqueue.visibility.VisibilityPauser`."""

from __future__ import annotations

from collections.abc import Callable

from ..runner import QueueRunner
from ..visibility import DEFAULT_HIDDEN_GRACE_MS, VisibilityPauser


def pause_when_hidden(runner: QueueRunner, *, grace_ms: float = DEFAULT_HIDDEN_GRACE_MS) -> Callable[[], None]:
    """Pause *runner* while the page is hidden longer than *grace_ms*; return a function that detaches."""
    import js
    from pyodide.ffi import create_proxy

    pauser = VisibilityPauser(runner, grace_ms=grace_ms)

    def on_change(_event: object = None) -> None:
        if js.document.visibilityState == "hidden":
            pauser.hidden()
        else:
            pauser.visible()

    proxy = create_proxy(on_change)
    js.document.addEventListener("visibilitychange", proxy)
    on_change()

    def detach() -> None:
        js.document.removeEventListener("visibilitychange", proxy)
        proxy.destroy()

    return detach
