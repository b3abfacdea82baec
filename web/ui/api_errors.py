"""The JSON error answer of the page's API: ``{"error": {"kind": ..., "message": ...}}``.

The page's forms go through the same JSON calls as ``window.pyqueueApp``, so
the page and the API show the same errors.
"""

from __future__ import annotations

import json


def error_json(kind: str, message: str) -> str:
    return json.dumps({"error": {"kind": kind, "message": message}})
