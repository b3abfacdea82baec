"""examples/minimal and the plain-Pyodide lines, loaded in Chromium exactly as the README's Install section says.

The example must load the wheel and the vendored runtime only: a request for anything else
(pyqueue's sources, static/pyqueue.zip, another origin) fails the test.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route

import pyqueue

from ..readme_install import REPO_ROOT, WHEEL_NAME, built_wheel, install_blocks
from .conftest import PageGuard, wait_ready

EXAMPLE = "examples/minimal/"
BOOT_TIMEOUT_MS = 90_000  # the first Pyodide start in a busy CI; a broken page fails at its first error
SITE_FILES = ("/static/vendor/", "/static/dist/")
"""What the README tells a user to copy to their site; the example's own folder aside, a page needs nothing else."""


def _requested_paths(page: Page) -> list[str]:
    paths: list[str] = []
    page.on("request", lambda request: paths.append(urlsplit(request.url).path))
    return paths


def test_the_readme_pyscript_lines_are_the_example_page_and_config() -> None:
    blocks = install_blocks()
    config = json.loads((REPO_ROOT / EXAMPLE / "pyscript.json").read_text())
    assert json.loads(blocks["json"]) == config
    assert config["packages"] == [f"/static/dist/{WHEEL_NAME}"]
    page_lines = {line.strip() for line in (REPO_ROOT / EXAMPLE / "index.html").read_text().splitlines()}
    assert [line for line in blocks["html"].splitlines() if line.strip() not in page_lines] == []


def test_the_example_app_runs_the_tasks_its_button_enqueues_to_completed(page: Page, page_guard: PageGuard) -> None:
    built_wheel()
    paths = _requested_paths(page)
    page.goto(f"/{EXAMPLE}")
    wait_ready(page, "#enqueue:not([disabled])", BOOT_TIMEOUT_MS)

    for _ in range(3):
        page.click("#enqueue")
    wait_ready(page, "() => document.querySelectorAll('#tasks li[data-status=completed]').length === 3")

    statuses = page.locator("#tasks li").evaluate_all("items => items.map(item => item.dataset.status)")
    assert statuses == ["completed"] * 3
    assert f"/static/dist/{WHEEL_NAME}" in paths
    assert [path for path in paths if not path.startswith((f"/{EXAMPLE}", *SITE_FILES))] == []
    assert page.locator("#pyqueue-dashboard").count() == 1  # where the dashboard component mounts


def test_the_readme_pyodide_lines_install_the_wheel_in_a_page_without_pyscript(
    page: Page, page_guard: PageGuard, server_url: str
) -> None:
    built_wheel()
    # A page at the site's root whose module script is the README's block, verbatim.
    script = install_blocks()["js"] + "window.readmePyodide = pyodide;\n"
    html = f'<!doctype html><link rel="icon" href="data:,"><script type="module">\n{script}</script>'

    def serve_page(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html")

    page.route(f"{server_url}readme-pyodide.html", serve_page)
    paths = _requested_paths(page)
    page.goto("/readme-pyodide.html")
    wait_ready(page, "() => window.readmePyodide !== undefined", BOOT_TIMEOUT_MS)

    checker = (REPO_ROOT / "tests" / "installed_check.py").read_text()
    report = json.loads(
        page.evaluate(
            """async (source) => {
                 const pyodide = window.readmePyodide;
                 pyodide.FS.writeFile("/tmp/installed_check.py", source);
                 return await pyodide.runPythonAsync(
                   "import sys, json; sys.path.insert(0, '/tmp'); import installed_check; "
                   + "json.dumps(await installed_check.check())");
               }""",
            checker,
        )
    )
    assert report["package_dir"].endswith("/site-packages/pyqueue")
    assert report == {**report, "version": pyqueue.__version__, "py_typed": True, "status": "completed", "result": 5}
    assert [path for path in paths if not path.startswith(("/readme-pyodide.html", *SITE_FILES))] == []
