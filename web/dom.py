"""Building page elements from Python, with text always set as text.

Payloads, results and errors are untrusted: they go through ``textContent``
(never ``innerHTML``), so ``<img onerror=...>`` in a payload shows as the
characters it is.
"""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]


def el(tag: str, *children: Any, text: str | None = None, cls: str | None = None, **attrs: str) -> Any:
    """Create an element with optional text, class, attributes (``data_x`` → ``data-x``) and children."""
    node = js.document.createElement(tag)
    if cls:
        node.className = cls
    for name, value in attrs.items():
        node.setAttribute(name.replace("_", "-"), value)
    if text is not None:
        node.textContent = text
    for child in children:
        node.appendChild(child)
    return node


def by_id(element_id: str) -> Any:
    """The element with this id; the page's structure is fixed, so a missing one is a bug."""
    node = js.document.getElementById(element_id)
    if node is None:
        raise LookupError(f"page has no element #{element_id}")
    return node
