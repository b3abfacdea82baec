"""Building the dashboard's elements from Python, with every text set as text, and its event wiring.

Payloads, results and error texts are untrusted: they only ever reach the page
through ``textContent`` (never ``innerHTML``), so ``<img onerror=...>`` in a
payload shows as the characters it is. No element gets a ``style`` attribute
(the page's CSP allows style sheets from its origin only): looks are classes
and ``data-*`` attributes that ``dashboard.css`` reads.

Events are delegated: :class:`Events` puts one listener per event type on the
dashboard's root and calls the handler named by the target's ``data-action``,
so rows rebuilt on every render need no listeners of their own, and
unmounting removes exactly the listeners the dashboard added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SVG_NS = "http://www.w3.org/2000/svg"

Handler = Callable[[Any, Any], None]
"""``handler(event, element)``: *element* is the one carrying the ``data-action``."""


def el(tag: str, *children: Any, text: str | None = None, cls: str | None = None, **attrs: object) -> Any:
    """An element with optional text, class, attributes (``data_x`` → ``data-x``, ``None`` skipped) and children.

    A child is an element, a string (added as a text node) or ``None`` (skipped).
    """
    import js

    return _fill(js.document.createElement(tag), children, text, cls, attrs)


def svg(tag: str, *children: Any, text: str | None = None, cls: str | None = None, **attrs: object) -> Any:
    """An SVG element, with attributes and children as for :func:`el`."""
    import js

    return _fill(js.document.createElementNS(SVG_NS, tag), children, text, cls, attrs)


def _fill(node: Any, children: tuple[Any, ...], text: str | None, cls: str | None, attrs: dict[str, object]) -> Any:
    if cls:
        node.setAttribute("class", cls)
    for name, value in attrs.items():
        if value is not None:
            node.setAttribute(name.rstrip("_").replace("_", "-"), str(value))
    if text is not None:
        node.textContent = text
    for child in children:
        if isinstance(child, str):
            node.append(child)  # a text node: a string child is text, never markup
        elif child is not None:
            node.appendChild(child)
    return node


def present(value: Any) -> bool:
    """False for JavaScript ``null`` and ``undefined`` as they reach Python (``jsnull``, ``None``)."""
    from pyodide.ffi import jsnull

    return value is not None and value is not jsnull


def set_text(node: Any, text: str) -> None:
    """Set *node*'s text only when it differs (an unchanged node keeps its selection and screen-reader state)."""
    if node.textContent != text:
        node.textContent = text


def say(node: Any, text: str, *, error: bool = False) -> None:
    """Write a result line; ``data-kind`` says ``ok`` or ``error`` for the style sheet."""
    node.textContent = text
    node.dataset.kind = "error" if error else "ok"


def find(root: Any, selector: str) -> Any:
    """The first element under *root* matching *selector*; the dashboard built it, so a miss is a bug."""
    node = root.querySelector(selector)
    if not present(node):
        raise LookupError(f"the dashboard has no {selector}")
    return node


def keep_focus(container: Any, render: Callable[[], None]) -> None:
    """Run *render* (which may rebuild part of *container*) and give focus back to the same control.

    Controls are matched by their ``data-focus-key``, so a keyboard user's place
    survives a live update of the row they are on.
    """
    import js

    active = js.document.activeElement
    key = active.getAttribute("data-focus-key") if present(active) and container.contains(active) else None
    render()
    if key:
        again = container.querySelector(f'[data-focus-key="{js.CSS.escape(key)}"]')
        if present(again) and not again.isSameNode(js.document.activeElement):
            again.focus()


class Events:
    """One listener per event type on *root*, dispatching to handlers by ``(event type, data-action)``."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._proxies: dict[str, Any] = {}

    def on(self, event_type: str, action: str, handler: Handler) -> None:
        """Call *handler* when *event_type* happens on (or inside) an element with ``data-action=action``."""
        self._handlers[(event_type, action)] = handler
        if event_type not in self._proxies:
            from pyodide.ffi import create_proxy

            proxy = create_proxy(self._dispatch)
            self._proxies[event_type] = proxy
            self.root.addEventListener(event_type, proxy)

    def _dispatch(self, event: Any) -> None:
        target = event.target.closest("[data-action]")
        if not present(target) or not self.root.contains(target):
            return
        handler = self._handlers.get((str(event.type), str(target.dataset.action)))
        if handler is not None:
            handler(event, target)

    def close(self) -> None:
        """Remove every listener this object added and free its proxies."""
        for event_type, proxy in self._proxies.items():
            self.root.removeEventListener(event_type, proxy)
            proxy.destroy()
        self._proxies.clear()
        self._handlers.clear()
