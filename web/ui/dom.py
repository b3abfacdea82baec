"""The page's fixed elements, found by id, and listeners that live as long as the page.

Elements are built with the dashboard component's :func:`~pyqueue.browser.dashboard.dom.el`,
which sets text as text: notes, payloads and errors are untrusted, and
``<img onerror=...>`` in a note shows as the characters it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from pyqueue.browser.dashboard.dom import el, present
from pyqueue.browser.dashboard.formatting import clock_time as clock

__all__ = ["by_id", "clock", "el", "js_options", "on", "present", "set_text"]

_PROXIES: list[Any] = []  # listeners registered with `on` live as long as the page


def by_id(element_id: str) -> Any:
    """The element with this id; the page's structure is fixed, so a missing one is a bug."""
    node = js.document.getElementById(element_id)
    if not present(node):
        raise LookupError(f"page has no element #{element_id}")
    return node


def on(target: Any, event: str, handler: Callable[[Any], object]) -> None:
    """Listen for *event* on *target* (an element, or an id) for the page's lifetime."""
    node = by_id(target) if isinstance(target, str) else target
    proxy = create_proxy(handler)
    _PROXIES.append(proxy)
    node.addEventListener(event, proxy)


def set_text(element_id: str, text: str) -> None:
    node = by_id(element_id)
    if node.textContent != text:
        node.textContent = text


def js_options(**values: object) -> Any:
    """A plain JavaScript object, e.g. the options of ``new Blob(parts, {type})``."""
    from pyodide.ffi import to_js

    return to_js(values, dict_converter=js.Object.fromEntries)
