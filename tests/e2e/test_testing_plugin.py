"""The pytest plugin (pyqueue.testing) on a page as a user writes it: tests/e2e/wiring_page.html.

The page only calls ``pyqueue.browser.start()``; these tests drive it through
the plugin's ``pyqueue_page`` fixture, served by the plugin's own
``pyqueue_server`` (rooted at the rootdir, this repository).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from pyqueue.constants import SCHEMA_VERSION
from pyqueue.testing.page import PyqueuePage

PAGE = "tests/e2e/wiring_page.html"
# What a newer release leaves behind: the database at a version this one does not know.
CREATE_NEWER_DATABASE = """([name, version]) => new Promise((resolve, reject) => {
  const request = indexedDB.open(name, version);
  request.onerror = () => reject(request.error);
  request.onsuccess = () => { request.result.close(); resolve(true); };
})"""


def page_url(db: str, **query: object) -> str:
    options = query.pop("options", {})
    return f"{PAGE}?{urlencode({'db': db, 'options': json.dumps(options), **query})}"


def test_the_page_runs_its_tasks_and_the_helpers_read_them(pyqueue_page: PyqueuePage) -> None:
    pyqueue_page.goto(page_url("plugin-run", naps=3, ms=5, tab="user-page"))
    pyqueue_page.wait_idle()
    done = pyqueue_page.tasks("completed")
    assert len(done) == 3
    assert all(t["result"] == {"tab": "user-page"} for t in done)
    assert pyqueue_page.wait_task(done[0]["id"])["status"] == "completed"
    assert pyqueue_page.task("no-such-task") is None
    assert pyqueue_page.stats()["by_status"]["completed"] == 3


def test_set_hidden_reaches_the_page_and_pauses_its_runner(pyqueue_page: PyqueuePage) -> None:
    pyqueue_page.goto(page_url("plugin-hidden", options={"hidden_grace_ms": 0}))
    pyqueue_page.set_hidden(True)
    pyqueue_page.wait_until(lambda: pyqueue_page.stats()["runner"]["state"] == "paused-hidden", "the runner to pause")
    pyqueue_page.set_hidden(False)
    assert pyqueue_page.stats()["runner"]["state"] == "running"


def test_wait_ready_fails_at_once_with_the_reason_when_the_database_cannot_open(pyqueue_page: PyqueuePage) -> None:
    # Given a database a newer release already upgraded, which this version cannot open
    pyqueue_page.page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    pyqueue_page.goto("README.md", wait=False)  # any page of the origin shares its IndexedDB
    pyqueue_page.page.evaluate(CREATE_NEWER_DATABASE, ["plugin-newer", SCHEMA_VERSION + 1])
    # Then waiting for the page fails with the store's own explanation, not after a long timeout
    with pytest.raises(pytest.fail.Exception, match=r"(?s)VersionError.*browser console"):
        pyqueue_page.goto(page_url("plugin-newer"))
