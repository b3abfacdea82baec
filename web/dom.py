"""Building page elements from Python, with text always set as text.

Payloads, results, errors and notes are untrusted: they go through
``textContent`` (never ``innerHTML``), so ``<img onerror=...>`` in a note
shows as the characters it is. SVG is built the same way, element by element.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy, jsnull  # type: ignore[import-not-found]

SVG_NS = "http://www.w3.org/2000/svg"

_PROXIES: list[Any] = []  # listeners registered with `on` live as long as the page


def el(tag: str, *children: Any, text: str | None = None, cls: str | None = None, **attrs: str) -> Any:
    """Create an element with optional text, class, attributes (``data_x`` → ``data-x``) and children."""
    node = js.document.createElement(tag)
    return _fill(node, children, text, cls, attrs)


def svg(tag: str, *children: Any, text: str | None = None, cls: str | None = None, **attrs: object) -> Any:
    """Create an SVG element (attributes as for :func:`el`; numbers are fine)."""
    node = js.document.createElementNS(SVG_NS, tag)
    return _fill(node, children, text, cls, attrs)


def _fill(node: Any, children: tuple[Any, ...], text: str | None, cls: str | None, attrs: dict[str, Any]) -> Any:
    if cls:
        node.setAttribute("class", cls)
    for name, value in attrs.items():
        if value is None:
            continue
        node.setAttribute(name.rstrip("_").replace("_", "-"), str(value))
    if text is not None:
        node.textContent = text
    for child in children:
        if child is not None:
            node.appendChild(child)
    return node


def present(value: Any) -> bool:
    """False for JavaScript ``null`` and ``undefined`` as they reach Python (``jsnull``, ``None``)."""
    return value is not None and value is not jsnull


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


def clock(ms: float | None) -> str:
    """Local wall-clock time ``HH:MM:SS`` of an epoch-ms time, or ``""``."""
    return "" if ms is None else time.strftime("%H:%M:%S", time.localtime(ms / 1000.0))


def js_options(**values: object) -> Any:
    """A plain JavaScript object, e.g. the options of ``new Blob(parts, {type})``."""
    from pyodide.ffi import to_js

    return to_js(values, dict_converter=js.Object.fromEntries)


def keep_focus(container: Any, render: Callable[[], None]) -> None:
    """Run *render* (which may rebuild part of *container*) and give focus back to the same control.

    Controls are matched by their ``data-focus-key``, so a keyboard user's place
    survives a live update of the row they are on.
    """
    active = js.document.activeElement
    key = None
    if present(active) and container.contains(active):
        key = active.getAttribute("data-focus-key")
    render()
    if key:
        again = container.querySelector(f'[data-focus-key="{js.CSS.escape(key)}"]')
        if present(again) and not again.isSameNode(js.document.activeElement):
            again.focus()
