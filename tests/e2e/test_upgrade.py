"""A newer page upgrading the database while an older tab has it open: the old tab steps aside, no row is lost."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from pyqueue.constants import DB_NAME, SCHEMA_VERSION

from .app_page import enqueue, open_app, task
from .conftest import PageGuard

# What a newer release does when it opens the database: a version-change transaction that adds to
# the schema and keeps every row. It resolves with the number of task rows it finds afterwards.
NEWER_PAGE_OPENS = """([name, version]) => new Promise((resolve, reject) => {
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => request.transaction.objectStore("tasks").createIndex("by_type", "status_type");
  request.onblocked = () => reject(new Error("blocked: the old tab kept the database open"));
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    const count = db.transaction("tasks").objectStore("tasks").count();
    count.onsuccess = () => { db.close(); resolve(count.result); };
  };
})"""


def test_an_old_tab_steps_aside_for_a_newer_page_and_says_why_and_no_row_is_lost(
    page: Page, page_guard: PageGuard
) -> None:
    # Given an open app tab with waiting tasks
    open_app(page, "periodic=0")
    page.click("#pause")
    ids = [enqueue(page, "demo.work", {"label": f"kept {i}", "duration_ms": 10}) for i in range(4)]
    assert all(task(page, i)["status"] == "pending" for i in ids)
    # When a newer page opens the database at the next schema version
    newer = page.context.new_page()
    newer.goto("/README.md")  # any page of the origin: it shares the app's IndexedDB
    rows = newer.evaluate(NEWER_PAGE_OPENS, [DB_NAME, SCHEMA_VERSION + 1])
    # Then the upgrade was not blocked, every row is still there, and the old tab says why it stopped
    assert rows == 4
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "upgrade-pending")
    expect(page.locator("#app-message")).to_contain_text("newer version of the database")
    page.click("#pause")  # resuming by hand cannot resume work on a database it no longer has open
    page.wait_for_timeout(500)
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "upgrade-pending")
    # and the dashboard reads nothing from the closed store, so no read error covers why
    expect(page.locator("[data-pyqueue-dashboard] [data-part=message]")).not_to_contain_text("could not read")
    newer.close()
