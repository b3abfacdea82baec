"""The app page against hostile input in real Chromium: junk in its stores, a crafted link, a full disk, a dead runtime.

Each test gets a fresh browser context (pytest-playwright's ``page``), so its
IndexedDB starts empty unless the test writes rows itself, from plain
JavaScript, before the app opens.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from .app_page import add_note, all_tasks, api, enqueue, memory, open_app, wait_status, wait_until
from .conftest import PageGuard

PLAIN_PAGE = "/static/vendor/pyodide/package.json"
"""A page of the app's origin with no script of its own, to write IndexedDB rows from JavaScript."""
QUIET = "periodic=0"
T0 = 1_750_000_000_000
GOOD_UNIT = {
    "id": "u-good",
    "text": "Stored before the junk arrived.",
    "content_hash": "h-good",
    "session_id": "2025-06-15",
    "created_at": T0,
    "updated_at": T0,
    "saves": 1,
    "extracted_hash": "h-good",
    "claim_count": 0,
}
PUT_ROWS = """async ([name, stores, rows]) => {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => { for (const s of stores) req.result.createObjectStore(s, {keyPath: "id"}); };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(stores, "readwrite");
    for (const [store, row] of rows) tx.objectStore(store).put(row);
    tx.oncomplete = resolve;
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
  db.close();
}"""
MEMORY_STORES = ["units", "claims", "flags", "goals", "chains", "summaries", "syntheses", "meta"]


def put_memory_rows(page: Page, guard: PageGuard, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Write raw rows into the memory's database (``pyqueue-memory``), as any script of this origin could."""
    guard.allow_errors(r"favicon\.ico")  # the plain page has no icon of its own
    page.goto(PLAIN_PAGE)
    page.evaluate(PUT_ROWS, ["pyqueue-memory", MEMORY_STORES, [list(r) for r in rows]])


def row(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "data": json.dumps(record)}


def submit_note(page: Page, text: str) -> None:
    page.fill("#note-text", text)
    page.click("#note-form button[type='submit']")


# ----------------------------------------------------------------------------- junk in the memory's stores


def test_junk_rows_in_the_memory_stores_do_not_stop_the_page_which_says_what_it_set_aside(
    page: Page, page_guard: PageGuard
) -> None:
    # Given the memory's stores hold a good note and four rows of the wrong shape
    put_memory_rows(
        page,
        page_guard,
        [
            ("units", row(GOOD_UNIT)),
            ("units", row({**GOOD_UNIT, "id": "u-number", "text": 5})),
            (
                "claims",
                row(
                    {
                        "id": "c-when",
                        "text": "A claim.",
                        "terms": [],
                        "negated": False,
                        "sources": [],
                        "confidence": 0.7,
                        "support": 1,
                        "created_at": "yesterday",
                        "last_seen": T0,
                    }
                ),
            ),
            ("goals", {"id": "g-list", "data": "[1, 2, 3]"}),
            ("meta", {"id": "meta", "data": 42}),
        ],
    )

    # When the app opens
    open_app(page, QUIET)

    # Then it boots, shows the good note, and says what it set aside and why
    aside = page.locator("#memory-set-aside")
    expect(aside).to_be_visible()
    expect(aside).to_contain_text("Set aside 4 memory records of the wrong shape")
    for reason in (
        "units u-number: text must be text, got int 5",
        "claims c-when: created_at must be a number, got str 'yesterday'",
        "goals g-list: a record must be an object, got list [1, 2, 3]",
        "meta meta: the row's data must be JSON text, got int 42",
    ):
        expect(aside).to_contain_text(reason)
    expect(page.locator("#notes-list li[data-unit-id='u-good']")).to_have_count(1)

    # And the memory forms and the dashboard keep working; the junk stays as it was, except the meta row,
    # which the new note's change wrote afresh under the same id
    submit_note(page, "Junk in storage must not stop new notes.")
    expect(page.locator("#note-message")).to_have_text("Note added: extracting its claims in the background.")
    unit = next(u["id"] for u in memory(page)["units"] if u["text"].startswith("Junk in storage"))
    extraction = next(t for t in all_tasks(page) if t["payload"].get("unit_id") == unit)
    wait_status(page, extraction["id"], "completed")
    api(page, "refresh")
    expect(page.locator(f"#notes-list li[data-unit-id='{unit}']")).to_have_attribute("data-extracted", "true")
    expect(aside).to_contain_text("Set aside 3 memory records")
    expect(aside).not_to_contain_text("meta meta")
    assert memory(page)["meta"][0]["revision"] >= 1


def test_an_import_with_wrong_shape_memory_records_sets_them_aside_and_the_page_keeps_working(
    page: Page, page_guard: PageGuard, tmp_path: Path
) -> None:
    # Given an export whose memory holds a good note, a number where text belongs and text where a time belongs
    open_app(page, QUIET)
    document = {
        "format": "pyqueue-memory-export",
        "version": 1,
        "exported_at": T0,
        "source": "pyqueue",
        "queue": {"tasks": []},
        "memory": {
            "units": [GOOD_UNIT, {**GOOD_UNIT, "id": "u-number", "text": 5}],
            "goals": [{"id": "g-when", "text": "A goal", "terms": ["goal"], "created_at": "tomorrow"}],
        },
    }
    path = tmp_path / "wrong-shape.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    # When it is imported from the card
    page.set_input_files("#import-file", str(path))

    # Then the good note is imported, the others are set aside, and the message says how many and why
    result = page.locator("#transfer-result")
    expect(result).to_contain_text("Imported 0 tasks and 1 memory records.")
    expect(result).to_contain_text("Set aside 2 memory records of the wrong shape")
    expect(result).to_contain_text("units u-number: text must be text, got int 5")
    expect(result).to_contain_text("goals g-when: created_at must be a number, got str 'tomorrow'")
    assert [u["id"] for u in memory(page)["units"]] == ["u-good"] and memory(page)["goals"] == []
    expect(page.locator("#notes-list li[data-unit-id='u-good']")).to_have_count(1)

    # And the dashboard and the memory forms keep working
    added = add_note(page, "Imports of the wrong shape leave the forms working.")
    page.fill("#goal-text", "Keep the page working")
    page.click("#goal-form button[type='submit']")
    expect(page.locator("#note-message")).to_have_text("Goal set: checking it against your notes.")
    assert api(page, "refresh") is True
    expect(page.locator(f"#notes-list li[data-unit-id='{added['unit_id']}']")).to_have_count(1)
    expect(page.locator("#goals-list li")).to_have_count(1)


# ----------------------------------------------------------------------------- a crafted link


def test_a_link_asking_to_keep_nothing_deletes_no_finished_task_until_the_person_accepts(
    page: Page, page_guard: PageGuard
) -> None:
    # Given finished tasks of each kind
    open_app(page, QUIET)
    done = enqueue(page, "demo.work", {"label": "done", "duration_ms": 1})
    failed = enqueue(page, "demo.flaky", {"label": "failed", "fail_first": 9}, max_attempts=1)
    wait_status(page, done, "completed")
    wait_status(page, failed, "failed")

    # When a crafted link asking to keep nothing, checked every second, is opened
    open_app(page, f"{QUIET}&keep_completed_ms=0&keep_failed_ms=0&keep_cancelled_ms=0&retention_every_ms=1000")

    # Then retention runs (more than once) and deletes nothing; the page shows the offer and says why
    expect(page.locator("#retention-last")).to_contain_text("removed 0 task(s)")
    page.wait_for_timeout(2_500)
    assert {t["id"] for t in all_tasks(page)} == {done, failed}
    expect(page.locator("#retention-policy")).to_have_text(
        "Completed tasks are kept 24 h, failed 7 days, cancelled 24 h; checked every 1 s."
    )
    expect(page.locator("#retention-offer")).to_contain_text("completed tasks are kept 0 h, failed 0 h")
    expect(page.locator("#settings-note")).to_contain_text("asks to delete finished tasks sooner")

    # And only once the person accepts on the page does the shorter policy apply
    page.click("#retention-accept")
    wait_until(page, lambda: all_tasks(page) == [], "retention to remove what the accepted policy says")


def test_absurd_concurrency_and_lease_from_a_link_end_in_sane_values_shown_on_the_page(
    page: Page, page_guard: PageGuard
) -> None:
    open_app(page, f"{QUIET}&concurrency=1e300&lease_ms=1e300")
    note = page.locator("#settings-note")
    expect(note).to_contain_text("concurrency=1e300 is outside 1..16; using 16.")
    expect(note).to_contain_text("lease_ms=1e300 is outside 1 s..10 min; using 10 min.")
    expect(page.locator("#runner-config")).to_contain_text("16 at a time · lease 10.0 min")

    # The runner works with them: a task runs, and its lease ends within ten minutes
    task_id = enqueue(page, "demo.work", {"label": "sane", "duration_ms": 2_000, "steps": 4})
    running = wait_status(page, task_id, "processing")
    now = page.evaluate("Date.now()")
    assert now < running["lease_until"] <= now + 600_000, running
    wait_status(page, task_id, "completed")


# ----------------------------------------------------------------------------- a full disk


def test_the_note_form_over_a_tiny_quota_says_the_note_was_not_saved(
    page: Page, page_guard: PageGuard, context: BrowserContext, server_url: str
) -> None:
    open_app(page, QUIET)
    cdp = context.new_cdp_session(page)
    origin = server_url.rstrip("/")
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": origin, "quotaSize": 1})
    try:
        text = "A note written when the disk is full. " + "Random words keep it from compressing. " * 50
        submit_note(page, text)
        message = page.locator("#note-message")
        expect(message).to_have_attribute("data-kind", "error", timeout=15_000)
        expect(message).not_to_contain_text("Note added")
        expect(message).to_contain_text("The note was not saved: storage quota exceeded")
        assert not any(u["text"].startswith("A note written when the disk is full") for u in memory(page)["units"])
        expect(page.locator("#note-text")).to_have_value(text)  # kept in the form, to try again
    finally:
        cdp.send("Storage.overrideQuotaForOrigin", {"origin": origin})


# ----------------------------------------------------------------------------- a dead runtime


def test_a_runtime_that_cannot_start_shows_a_way_out_download_what_is_readable_then_clear_and_reload(
    page: Page, page_guard: PageGuard
) -> None:
    # Given a stored note, and a package archive that arrives broken
    put_memory_rows(page, page_guard, [("units", row(GOOD_UNIT))])
    page_guard.allow_errors(r".")  # the broken start makes the browser and PyScript log errors
    page.route("**/static/pyqueue.zip", lambda route: route.fulfill(status=200, body=b"this is not a zip archive"))

    # When the app opens
    page.goto("/index.html")

    # Then the page says it could not run, and offers the ways out
    fatal = page.locator("#fatal")
    expect(fatal).to_be_visible(timeout=30_000)
    expect(page.locator("#fatal-reason")).not_to_be_empty()
    expect(page.locator("#fatal-reason")).not_to_contain_text("no answer after")  # the failure itself, not a timeout
    expect(page.locator("#fatal-reason")).to_contain_text("the start failed:")
    expect(page.locator("#boot-status")).to_have_text("The page could not start: see below.")
    assert page.evaluate("document.body.dataset.ready") is None

    # And "download what is readable" gives the raw rows, the note among them
    with page.expect_download() as download:
        page.click("#fatal-download")
    dump = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert dump["format"] == "pyqueue-raw-rows"
    (stored,) = dump["databases"]["pyqueue-memory"]["units"]
    assert json.loads(stored["data"])["text"] == GOOD_UNIT["text"]

    # And "clear and reload", once confirmed, starts afresh with empty stores
    page.unroute("**/static/pyqueue.zip")
    page.click("#fatal-clear")
    page.click("#fatal-clear-no")
    expect(page.locator("#fatal-clear")).to_be_visible()
    page.click("#fatal-clear")
    page.click("#fatal-clear-yes")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
    assert page.evaluate("document.body.dataset.cleared") == "true"
    assert memory(page)["units"] == []
    expect(fatal).to_be_hidden()
