"""The memory app on its dashboard, in real Chromium: what a person does with it, and what it promises.

Most tests share one page (one Pyodide start) and build on what is already in
its memory, so each uses its own topic and compares before with after. The
shared page records Content-Security-Policy violations from its first script on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .app_page import (
    CHART,
    DASHBOARD,
    STATUS_FILTER,
    TASK_ROWS,
    TYPE_FILTER,
    TYPE_ROWS,
    add_note,
    all_tasks,
    api,
    count_selector,
    enqueue,
    memory,
    open_app,
    open_task,
    shown_int,
    task_row,
    tasks_of_type,
    wait_chains,
    wait_status,
    wait_until,
)
from .conftest import REPO_ROOT, PageGuard

SHARED = (
    "pace_ms=15&backoff_ms=150&dashboard_every_ms=500&chart_bucket_ms=5000&chart_window_ms=120000"
    "&decay_ms=86400000&dormancy_ms=86400000"  # no periodic slot starts mid-test (the export test counts tasks)
)
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
OFFLINE = "offline: waits for the network"
TWO_BOOTS_MS = 150_000
SCREENSHOT = REPO_ROOT / "test-results" / "dashboard-under-load.png"


@pytest.fixture(scope="module")
def app(browser: Browser, server_url: str) -> Iterator[Page]:
    """One app page for the module, guarded (console errors, off-origin requests, CSP violations)."""
    context = browser.new_context(base_url=server_url, viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.add_init_script(CSP_RECORDER)
        guard = PageGuard(origin=server_url)
        guard.attach(page)
        open_app(page, SHARED)
        yield page
        assert page.evaluate("window.__cspViolations") == []
        guard.check("the memory app's shared page")
    finally:
        context.close()


def unit_of(page: Page, text: str) -> str:
    (unit,) = [u for u in memory(page)["units"] if u["text"] == text]
    return str(unit["id"])


def submit_note(page: Page, text: str) -> None:
    page.fill("#note-text", text)
    page.click("#note-form button[type='submit']")


def count(page: Page, status: str) -> int:
    return int(api(page, "snapshot")["counts"][status])


# ----------------------------------------------------------------------------- a person's path


def test_a_person_adds_three_notes_and_watches_extraction_observers_and_consolidation_finish(app: Page) -> None:
    page = app
    completed_before = shown_int(page, count_selector("completed"))
    chart_before = shown_int(page, CHART, "data-completed")
    notes = [
        "Cycling to work saves me time on busy days. Cycling in the rain is unpleasant.",
        "Cycling to work does not save me time on busy days.",
        "Cycling to work saves me time on busy days! A new bike light makes evening rides safer.",
    ]
    for text in notes:
        submit_note(page, text)
        expect(page.locator("#note-text")).to_have_value("")  # the form clears once the note is saved
        expect(page.locator("#notes-list li", has_text=text)).to_have_count(1)
    units = [unit_of(page, text) for text in notes]
    wait_chains(page, units)

    # The dashboard: counts, chart and per-type table move; the table filters by type.
    completed_shown = count_selector("completed")
    wait_until(page, lambda: shown_int(page, completed_shown) >= completed_before + 9, "the completed count")
    wait_until(page, lambda: shown_int(page, CHART, "data-completed") >= chart_before + 9, "the chart's completed bars")
    assert page.locator(f"{CHART} .pqd-bars rect[data-status='completed']").count() >= 1
    done_cell = page.locator(f"{TYPE_ROWS}[data-type='consolidate_memory'] td").nth(4)
    wait_until(page, lambda: int(done_cell.inner_text()) >= 3, "consolidations in the per-type table")
    page.select_option(TYPE_FILTER, "consolidate_memory")
    expect(page.locator(f"{TASK_ROWS}:not([data-type='consolidate_memory'])")).to_have_count(0)
    for unit in units:
        row = page.locator(f"{TASK_ROWS}[data-status='completed']", has_text=unit)
        expect(row).to_have_count(1)
    page.select_option(TYPE_FILTER, "")

    # The memory view: every note extracted, the claims listed, the contradiction observed, duplicates merged.
    for unit in units:
        expect(page.locator(f"#notes-list li[data-unit-id='{unit}']")).to_have_attribute("data-extracted", "true")
    for claim in ("Cycling in the rain is unpleasant.", "A new bike light makes evening rides safer."):
        expect(page.locator("#claims-list li", has_text=claim)).to_have_count(1)
    expect(
        page.locator("#flags-list li[data-kind='contradiction']", has_text="Cycling to work does not save me time")
    ).to_have_count(1)
    (merged,) = [c for c in memory(page)["claims"] if c["text"] == "Cycling to work saves me time on busy days."]
    assert merged["support"] == 2 and merged["sources"] == [units[0], units[2]]
    assert not any(c["text"].endswith("busy days!") for c in memory(page)["claims"])

    # Progress: every extraction reported its steps, ending at done == of.
    for unit in units:
        (extraction,) = [t for t in tasks_of_type(page, "extract_from_unit") if t["payload"]["unit_id"] == unit]
        progress = extraction["progress"]
        assert progress["done"] == progress["of"] and progress["step"] == "claims stored"


def test_adding_the_same_note_twice_extracts_it_once(app: Page) -> None:
    page = app
    text = "Sourdough needs a warm kitchen to rise. Feeding the starter daily keeps it lively."
    submit_note(page, text)
    expect(page.locator("#note-text")).to_have_value("")
    expect(page.locator("#note-message")).to_have_text("Note added: extracting its claims in the background.")
    submit_note(page, "  " + text.replace(" ", "  ") + "\n")  # same words, different spacing
    expect(page.locator("#note-text")).to_have_value("")
    expect(page.locator("#note-message")).to_have_text("You already saved this note: it is extracted once.")
    unit = unit_of(page, text)
    wait_chains(page, [unit])
    add_note(page, text)  # and once more after the chain ran
    page.wait_for_timeout(500)

    mine = [t for t in all_tasks(page) if t["payload"].get("unit_id") == unit]
    assert sorted(t["type"] for t in mine) == ["consolidate_memory", "extract_from_unit", "run_observer"]
    assert all(t["status"] == "completed" and t["attempts"] == 1 for t in mine)
    (saved,) = [u for u in memory(page)["units"] if u["id"] == unit]
    assert saved["saves"] == 3 and saved["claim_count"] == 2
    assert len([c for c in memory(page)["claims"] if unit in c["sources"]]) == 2
    expect(page.locator("#notes-list li", has_text="Sourdough needs")).to_have_count(1)


# ----------------------------------------------------------------------------- failures and actions


def test_a_failed_task_shows_each_attempt_then_retry_cancel_and_purge_with_preview_do_what_they_say(
    app: Page,
) -> None:
    page = app
    outage_until = page.evaluate("Date.now()") + 2_500
    payload = {"label": "flaky service", "fail_first": 0, "fail_until_ms": outage_until}
    flaky = enqueue(page, "demo.flaky", payload, max_attempts=2)
    failed = wait_status(page, flaky, "failed", timeout_s=10)
    outage = "RuntimeError: simulated outage for 'flaky service': try again later"
    assert [e["error"] for e in failed["errors"]] == [outage, outage]

    page.select_option(STATUS_FILTER, "failed")
    row = task_row(page, flaky)
    detail = open_task(row)
    attempts = detail.locator(".pqd-attempts li")
    expect(attempts).to_have_count(2)
    for n in (0, 1):
        expect(attempts.nth(n).locator(".pqd-error-line")).to_contain_text(f"attempt {n + 1} at")
        expect(attempts.nth(n).locator("pre")).to_contain_text("Traceback (most recent call last)")
        expect(attempts.nth(n).locator("pre")).to_contain_text(outage)

    # Retry, with the keyboard, once the outage is over: it runs again, and its history stays.
    page.wait_for_timeout(max(0, outage_until - page.evaluate("Date.now()")) + 100)
    row.locator("button[data-action='retry']").focus()
    page.keyboard.press("Enter")
    done = wait_status(page, flaky, "completed", timeout_s=10)
    assert done["attempts"] == 1 and [e["error"] for e in done["errors"]] == [outage, outage]
    assert done["result"] == {"label": "flaky service", "succeeded_on_attempt": 1}

    # Cancel a scheduled task from its row.
    later = enqueue(page, "demo.work", {"label": "not needed after all", "duration_ms": 10}, delay_ms=600_000)
    page.select_option(STATUS_FILTER, "scheduled")
    task_row(page, later).locator("button[data-action='cancel']").click()
    assert wait_status(page, later, "cancelled")["attempts"] == 0
    page.select_option(STATUS_FILTER, "")

    # Purge cancelled tasks: the preview lists exactly what the purge then removes, and nothing else goes.
    cancelled = {t["id"] for t in api(page, "tasks", "cancelled")}
    completed = {t["id"] for t in api(page, "tasks", "completed")}
    assert later in cancelled
    purge = page.locator(f"{DASHBOARD} [data-part='purge']")
    purge.locator("input[value='completed']").uncheck()
    purge.locator("input[value='cancelled']").check()
    purge.get_by_role("button", name="Preview").click()
    n = len(cancelled)
    tasks = f"{n} task{'s' if n != 1 else ''}"
    expect(purge.locator("[data-part='purge-result']")).to_have_text(
        f"Would remove {tasks} (cancelled). Nothing is deleted until you press Purge."
    )
    expect(purge.locator("[data-part='purge-list'] li[data-task-id]")).to_have_count(min(n, 12))
    expect(purge.locator(f"[data-part='purge-list'] li[data-task-id='{later}']")).to_have_count(1)
    run = purge.locator("button[data-action='purge-run']")
    expect(run).to_have_text(f"Purge {tasks}")
    run.click()
    expect(purge.locator("[data-part='purge-result']")).to_have_text(f"Purged {tasks}.")
    assert api(page, "tasks", "cancelled") == []
    assert api(page, "task", later) is None
    assert completed <= {t["id"] for t in api(page, "tasks", "completed")}
    expect(run).to_be_disabled()

    # Retention: the app says which policy it applies; the dashboard's dry run says what it would remove now
    # (nothing is a day old here).
    expect(page.locator("#retention-policy")).to_have_text(
        "Completed tasks are kept 24 h, failed 7 days, cancelled 24 h; checked every 1 min."
    )
    retention = page.locator(f"{DASHBOARD} [data-part='retention']")
    retention.get_by_role("button", name="Dry run: what would go now").click()
    expect(retention.locator("[data-part='retention-result']")).to_have_text(
        "Dry run: the policy would remove 0 tasks now (0 completed, 0 failed, 0 cancelled). Nothing was deleted."
    )


# ----------------------------------------------------------------------------- export, clear, import


def test_export_clear_and_import_bring_back_every_task_with_its_history_and_the_memory(app: Page) -> None:
    page = app
    failing = enqueue(page, "demo.flaky", {"label": "kept with its history", "fail_first": 9}, max_attempts=2)
    unit = add_note(page, "Export files should round trip without losing anything.")["unit_id"]
    wait_chains(page, [unit])
    wait_status(page, failing, "failed")
    page.click("#pause")
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "paused-user")
    wait_until(page, lambda: api(page, "snapshot")["running"] == [], "running tasks to finish")

    with page.expect_download() as download:
        page.click("#export")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["format"] == "pyqueue-memory-export" and download.value.suggested_filename.endswith(".json")
    before = {t["id"]: t for t in exported["queue"]["tasks"]}
    assert len(before[failing]["errors"]) == 2 and len(before) >= 4
    assert {t["id"]: t for t in json.loads(api_text(page, "exportJson"))["queue"]["tasks"]} == before

    page.click("#clear-all")
    expect(page.locator("#clear-yes")).to_be_visible()
    page.click("#clear-yes")
    expect(page.locator("#transfer-result")).to_contain_text("Cleared")
    assert all_tasks(page) == []
    assert memory(page)["units"] == [] and memory(page)["claims"] == []
    expect(page.locator(count_selector("total"))).to_have_text("0")
    expect(page.locator("#notes-list li")).to_have_count(0)

    page.set_input_files("#import-file", download.value.path())
    records = sum(len(rows) for rows in exported["memory"].values())
    expect(page.locator("#transfer-result")).to_have_text(f"Imported {len(before)} tasks and {records} memory records.")
    after = {t["id"]: t for t in all_tasks(page)}
    assert after == before  # nothing lost, nothing added: the periodic tasks came back with the import
    assert memory(page) == exported["memory"]
    expect(page.locator("#notes-list li").first).to_be_visible()

    page.click("#pause")
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "running")


def api_text(page: Page, method: str, *args: Any) -> str:
    return str(page.evaluate("([m, a]) => window.pyqueueApp[m](...a)", [method, list(args)]))


# ----------------------------------------------------------------------------- untrusted text


def test_a_note_and_a_payload_with_html_render_as_text_run_nothing_and_break_no_policy(app: Page) -> None:
    page = app
    hostile = '<img src=x onerror="window.__owned=1"> and <script>window.__owned=2</script>'
    note = f"My note quotes {hostile} as plain text. Browsers must never run quoted markup."
    submit_note(page, note)
    expect(page.locator("#note-text")).to_have_value("")
    wait_chains(page, [unit_of(page, note)])
    task_id = enqueue(page, "demo.work", {"label": hostile, "duration_ms": 10})
    wait_status(page, task_id, "completed")

    expect(page.locator("#notes-list li", has_text='<img src=x onerror="window.__owned=1">')).to_have_count(1)
    expect(page.locator("#claims-list li", has_text="<script>window.__owned=2</script>")).to_have_count(1)
    row = task_row(page, task_id)
    expect(row.locator("button.pqd-open")).to_contain_text("<img src=x onerror=")
    detail = open_task(row)
    expect(detail.locator("[data-field='payload']")).to_contain_text("<script>window.__owned=2</script>")
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("() => window.__owned") is None
    assert page.evaluate("window.__cspViolations") == []


# ----------------------------------------------------------------------------- offline


def test_offline_a_network_task_stays_parked_and_nothing_fails_then_back_online_it_runs(app: Page) -> None:
    page = app
    context = page.context
    failed_before = count(page, "failed")
    context.set_offline(True)
    try:
        assert page.evaluate("navigator.onLine") is False
        expect(page.locator("#network")).to_have_attribute("data-online", "false")
        notes = [
            "My garden needs water every morning in July.",
            "The garden gets too much shade after noon.",
            "Tomatoes grow well in the sunny corner of my garden.",
        ]
        units = [add_note(page, text)["unit_id"] for text in notes]
        wait_chains(page, units)

        def garden() -> list[dict[str, Any]]:
            return [t for t in tasks_of_type(page, "generate_synthesis") if t["payload"]["topic"] == "garden"]

        wait_until(page, garden, "a synthesis of the garden notes to be enqueued")
        page.wait_for_timeout(1_000)  # time to spin or fail, if it were going to
        for t in tasks_of_type(page, "generate_synthesis"):
            assert t["status"] == "completed" or t["parked"] == OFFLINE, t
        (parked,) = garden()
        assert parked["status"] == "scheduled" and parked["parked"] == OFFLINE
        assert parked["attempts"] == 0 and parked["errors"] == []
        assert count(page, "failed") == failed_before
        page.select_option(TYPE_FILTER, "generate_synthesis")
        row = task_row(page, parked["id"])
        expect(row).to_have_attribute("data-parked", "true")
        expect(row.locator(".pqd-badge")).to_have_text("parked")
        expect(row.locator(".pqd-badge")).to_have_attribute("title", OFFLINE)
        page.select_option(TYPE_FILTER, "")
    finally:
        context.set_offline(False)

    expect(page.locator("#network")).to_have_attribute("data-online", "true")
    done = wait_status(page, parked["id"], "completed", timeout_s=15)
    assert done["attempts"] == 1 and done["errors"] == []
    assert any(s["topic"] == "garden" for s in memory(page)["syntheses"])
    expect(page.locator("#syntheses-list li[data-topic='garden']")).to_contain_text("On “garden” (3 notes)")
    assert count(page, "failed") == failed_before


# ----------------------------------------------------------------------------- two tabs


def test_two_tabs_open_at_once_schedule_one_periodic_decay_between_them(browser: Browser, server_url: str) -> None:
    # Given two tabs of a fresh profile, started together, with a two-second decay period
    context = browser.new_context(base_url=server_url)
    query = "decay_ms=2000&dormancy_ms=3000&pace_ms=0&keep_failed_ms=1000&retention_every_ms=1000"
    query += f"&boot_deadline_ms={TWO_BOOTS_MS}"  # two runtimes load at once: on a loaded machine, over a minute
    guards = []
    try:
        tabs = [context.new_page() for _ in range(2)]
        for tab in tabs:
            guard = PageGuard(origin=server_url)
            guard.attach(tab)
            guards.append(guard)
            tab.goto(f"/index.html?{query}")
        for tab in tabs:
            open_app_ready(tab)
        wait_until(tabs[0], lambda: api(tabs[0], "snapshot")["live_runners"] == 2, "both runners to be alive")

        # When several slots pass, then at no moment are two decays waiting or running, and each slot ran once
        samples = []
        for _ in range(24):
            decays = tasks_of_type(tabs[0], "decay_claims")
            waiting = sum(t["status"] in ("scheduled", "pending") for t in decays)
            running = sum(t["status"] == "processing" for t in decays)
            samples.append((waiting, running))
            tabs[0].wait_for_timeout(250)
        decays = tasks_of_type(tabs[1], "decay_claims")
        done = [t for t in decays if t["status"] == "completed"]
        slots = [t["payload"]["slot"] for t in done]
        assert len(done) >= 2 and len(slots) == len(set(slots)), slots
        assert all(waiting + running <= 1 for waiting, running in samples), samples
        assert len({t["unique_key"] for t in decays}) == len(decays)
        assert len(done) >= len(decays) - 1  # all ran, but perhaps the slot that just started

        # And retention, set by the link to keep failed tasks one second and accepted on the page (a link alone
        # cannot shorten it), removes a failed one by itself
        expect(tabs[0].locator("#retention-offer")).to_contain_text("failed 1 s")
        tabs[0].click("#retention-accept")
        expect(tabs[0].locator("#retention-policy")).to_contain_text("failed 1 s")
        failing = enqueue(tabs[0], "demo.flaky", {"label": "short-lived", "fail_first": 9}, max_attempts=1)
        wait_status(tabs[0], failing, "failed")
        wait_until(tabs[1], lambda: api(tabs[1], "task", failing) is None, "retention to remove the failed task")
        # (the tab that removed it says so once its check has ended, until its next check a second later)
        wait_until(
            tabs[0],
            lambda: any(re.search(r"removed [1-9]\d* task", t.locator("#retention-last").inner_text()) for t in tabs),
            "a tab to say its retention check removed the task",
            timeout_s=5.0,
            every_s=0.05,
        )
        for guard, tab in zip(guards, tabs, strict=True):
            guard.check(f"tab {tabs.index(tab) + 1}")
    finally:
        context.close()


def open_app_ready(page: Page) -> None:
    from .conftest import wait_ready

    wait_ready(page, "body[data-ready='true']", TWO_BOOTS_MS)


# ----------------------------------------------------------------------------- under load (runs last)

SUBJECTS = ["Coffee", "Sleep", "Running", "Reading", "Music", "Cooking", "Walking", "Writing"]
PREDICATES = [
    "helps my focus at work",
    "improves my mood on grey days",
    "does not help my focus at work",
    "keeps me calm in the evening",
    "makes early mornings easier",
]


def load_notes(n: int) -> list[str]:
    notes = []
    for i in range(n):
        a, b = SUBJECTS[i % len(SUBJECTS)], SUBJECTS[(i * 3 + 1) % len(SUBJECTS)]
        p, q = PREDICATES[i % len(PREDICATES)], PREDICATES[(i * 2 + 3) % len(PREDICATES)]
        notes.append(f"{a} {p}. {b} {q} during week {i}.")
    return notes


def box(page: Page, selector: str) -> list[int]:
    """Where *selector* sits on the page (not the viewport): top, left, height, width, in CSS pixels."""
    return list(
        page.locator(selector).evaluate(
            """(el) => { const r = el.getBoundingClientRect();
                return [r.top + scrollY, r.left + scrollX, r.height, r.width].map(Math.round); }"""
        )
    )


def test_the_dashboard_under_load_keeps_its_layout_and_is_saved_as_a_screenshot(
    app: Page, capsys: pytest.CaptureFixture[str]
) -> None:
    page = app
    parts = ("overview", "throughput", "types", "tasks", "housekeeping")
    sections = [".notes", ".memory", *(f"{DASHBOARD} [data-part='{p}']" for p in parts), ".app-housekeeping"]
    before = {s: box(page, s) for s in sections}
    api(page, "addGoal", "Understand what helps my focus")
    page.evaluate("([m, a]) => window.pyqueueApp[m](...a)", ["addNotes", [json.dumps(load_notes(40))]])
    for i in range(3):
        enqueue(page, "demo.flaky", {"label": f"flaky {i}", "fail_first": 9}, max_attempts=2, priority=20)
    wait_until(page, lambda: count(page, "completed") > 0 and count(page, "pending") > 20, "a backlog to build up")
    page.wait_for_timeout(2_500)
    api(page, "refresh")
    assert count(page, "pending") + count(page, "processing") > 0, "the screenshot should show work in progress"
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header is drawn where the page was scrolled to
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    with capsys.disabled():
        print(f"\n  screenshot of the dashboard under load: {SCREENSHOT}")
    after = {s: box(page, s) for s in sections}
    assert after == before  # nothing above or around the live parts moved or grew
    assert shown_int(page, count_selector("processing")) + shown_int(page, count_selector("pending")) > 0
