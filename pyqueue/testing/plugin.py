"""The pytest plugin: serve your pages on loopback and drive them with :class:`~pyqueue.testing.page.PyqueuePage`.

Registered through the ``pytest11`` entry point, so it is active wherever
pyqueue is installed. Fixtures:

``pyqueue_server`` (session)
    The base URL of a loopback server for the directory in the ``pyqueue_root``
    ini option or ``--pyqueue-root`` (relative to the rootdir; default the
    rootdir), with the MIME types Pyodide needs and no caching.
``pyqueue_page``
    pytest-playwright's ``page`` as a :class:`~pyqueue.testing.page.PyqueuePage`
    on that server: ``pyqueue_page.goto("index.html")`` waits until the queue runs.

Only ``pyqueue_page`` needs Playwright (through pytest-playwright's ``page``),
so the plugin loads in any pytest run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .page import PyqueuePage
from .server import serving

__all__ = ["PyqueuePage", "pyqueue_page", "pyqueue_server"]


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = "directory the pyqueue_server fixture serves, relative to the rootdir (default: the rootdir)"
    parser.addini("pyqueue_root", help_text, default="")
    parser.getgroup("pyqueue").addoption("--pyqueue-root", default=None, help=help_text)


def served_root(config: pytest.Config) -> Path:
    """What ``pyqueue_server`` serves: ``--pyqueue-root``, else the ``pyqueue_root`` ini option, else the rootdir."""
    chosen = config.getoption("pyqueue_root") or config.getini("pyqueue_root")
    return (config.rootpath / str(chosen)).resolve() if chosen else config.rootpath


@pytest.fixture(scope="session")
def pyqueue_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """Serve the pyqueue root on a free loopback port for the session; yield its base URL."""
    root = served_root(pytestconfig)
    if not root.is_dir():
        pytest.fail(f"pyqueue_root {root} is not a directory", pytrace=False)
    with serving(root) as url:
        yield url


@pytest.fixture
def pyqueue_page(page: Any, pyqueue_server: str) -> PyqueuePage:
    """pytest-playwright's ``page``, as a :class:`PyqueuePage` resolving paths against ``pyqueue_server``."""
    return PyqueuePage(page, pyqueue_server)
