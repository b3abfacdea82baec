"""The README's Install section, read by the tests that run exactly what it tells a user to write."""

from __future__ import annotations

import re
from pathlib import Path

import pyqueue

REPO_ROOT = Path(__file__).resolve().parents[1]
WHEEL_NAME = f"pyqueue_idb-{pyqueue.__version__}-py3-none-any.whl"
WHEEL = REPO_ROOT / "static" / "dist" / WHEEL_NAME


def install_blocks() -> dict[str, str]:
    """The Install section's fenced code blocks by language (``json``, ``html``, ``js``, ``bash``)."""
    text = (REPO_ROOT / "README.md").read_text()
    match = re.search(r"^## Install\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Install' section"
    blocks: dict[str, str] = {}
    for language, body in re.findall(r"^```(\w+)\n(.*?)^```", match.group(1), re.MULTILINE | re.DOTALL):
        assert language not in blocks, f"README's Install section has two {language} blocks"
        blocks[language] = body
    return blocks


def built_wheel() -> Path:
    """The wheel setup built for this version; fails the test (never skips) when it is missing."""
    assert WHEEL.is_file(), f"{WHEEL} is missing: run scripts/setup.sh, which builds it"
    return WHEEL
