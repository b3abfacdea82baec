"""The app page in real Chromium with real IndexedDB: what a user of the page sees and relies on."""

from __future__ import annotations

import itertools

from playwright.sync_api import Page, expect

from .app_page import (
    TASK_ROWS,
    api,
    count_selector,
    enqueue,
    open_app,
    open_task,
    set_hidden,
    shown_count,
    task,
    task_row,
    wait_status,
    wait_until,
)
from .conftest import PageGuard, wait_ready

QUIET = "periodic=0"
"""No periodic memory tasks: these tests see only the tasks they enqueue themselves."""


def test_demo_tasks_enqueued_on_the_page_run_and_the_panel_shows_them_completed(
    page: Page, page_guard: PageGuard
) -> None:
    open_app(page, QUIET)
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "running")
    page.click("#add-demo")
    expect(page.locator(count_selector("completed"))).to_have_text("5", timeout=30_000)
    expect(page.locator(f"{TASK_ROWS}[data-status='completed']")).to_have_count(5)
    assert shown_count(page, "pending") == 0 and shown_count(page, "total") == 5
    detail = open_task(page.locator(TASK_ROWS).first)
    expect(detail.locator("[data-field='payload']")).to_contain_text('"label": "demo 5"')


def test_tasks_enqueued_while_paused_survive_a_reload_and_then_run(page: Page, page_guard: PageGuard) -> None:
    open_app(page, QUIET)
    page.click("#pause")
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "paused-user")
    ids = [enqueue(page, "demo.work", {"label": f"kept {i}", "duration_ms": 30}) for i in range(3)]
    page.wait_for_timeout(300)
    assert [task(page, i)["status"] for i in ids] == ["pending"] * 3
    expect(page.locator(count_selector("pending"))).to_have_text("3")

    page.reload()
    wait_ready(page, "body[data-ready='true']", 60_000)
    for task_id in ids:
        done = wait_status(page, task_id, "completed")
        assert done["attempts"] == 1
    expect(page.locator(count_selector("completed"))).to_have_text("3")


def test_a_page_closed_mid_task_leaves_a_task_the_next_page_recovers_and_completes_once(
    page: Page, page_guard: PageGuard
) -> None:
    settings = f"lease_ms=1500&{QUIET}"
    open_app(page, settings)
    task_id = enqueue(page, "demo.work", {"label": "interrupted", "duration_ms": 2_000, "steps": 20})
    wait_status(page, task_id, "processing")
    page.wait_for_timeout(300)
    second = page.context.new_page()
    page.close()  # the tab goes away mid-task: no goodbye, the lease just stops being renewed

    open_app(second, settings)
    done = wait_status(second, task_id, "completed", timeout_s=30)
    assert done["attempts"] == 2
    assert [e["error"] for e in done["errors"]] == [
        "lease lost: the runner holding this task stopped renewing it (tab closed, crashed or frozen)"
    ]
    assert done["result"] == {"label": "interrupted", "ms": 2_000, "attempt": 2}
    snapshot = api(second, "snapshot")
    assert snapshot["runner"]["recovered"] == 1 and snapshot["runner"]["completed"] == 1


def test_hidden_longer_than_the_grace_pauses_claims_nothing_and_visible_resumes(
    page: Page, page_guard: PageGuard
) -> None:
    open_app(page, f"hidden_grace_ms=400&{QUIET}")
    set_hidden(page, True)
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "paused-hidden", timeout=5_000)
    task_id = enqueue(page, "demo.work", {"label": "while hidden", "duration_ms": 10})
    page.wait_for_timeout(1_000)
    assert task(page, task_id)["status"] == "pending"  # nothing claimed while hidden
    set_hidden(page, False)
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "running")
    wait_status(page, task_id, "completed", timeout_s=10)


def test_a_hide_shorter_than_the_grace_does_not_pause(page: Page, page_guard: PageGuard) -> None:
    open_app(page, f"hidden_grace_ms=1500&{QUIET}")
    set_hidden(page, True)
    page.wait_for_timeout(300)
    task_id = enqueue(page, "demo.work", {"label": "short hide", "duration_ms": 10})
    wait_status(page, task_id, "completed", timeout_s=5)  # still running while briefly hidden
    set_hidden(page, False)
    states = []
    for _ in range(10):
        states.append(api(page, "snapshot")["state"])
        page.wait_for_timeout(200)
    assert set(states) == {"running"}, states


def test_a_failing_task_is_retried_with_backoff_and_ends_failed_with_every_error_shown(
    page: Page, page_guard: PageGuard
) -> None:
    open_app(page, f"backoff_ms=300&{QUIET}")
    page.click("#add-failing")
    expect(page.locator(count_selector("failed"))).to_have_text("1", timeout=30_000)
    (failed,) = api(page, "tasks", "failed")
    assert failed["attempts"] == 3 and failed["max_attempts"] == 3
    errors = failed["errors"]
    assert [e["error"] for e in errors] == [
        f"RuntimeError: simulated failure of 'always fails' on attempt {n}" for n in (1, 2, 3)
    ]
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(errors)]
    assert gaps[0] >= 150 and gaps[1] >= 300, gaps  # 300 ms then 600 ms, each jittered down to half at most
    detail = open_task(task_row(page, failed["id"]))
    expect(detail.locator(".pqd-attempts li")).to_have_count(3)
    expect(detail.locator(".pqd-attempts li pre").first).to_contain_text("Traceback (most recent call last)")
    expect(detail.locator(".pqd-attempts li pre").first).to_contain_text("RuntimeError: simulated failure")


def test_an_unknown_task_type_and_an_invalid_payload_give_clear_errors_and_write_nothing(
    page: Page, page_guard: PageGuard
) -> None:
    open_app(page, QUIET)
    message = page.locator("#enqueue-message")
    page.fill("#task-type", "no.such.type")
    page.click("#enqueue-form button[type='submit']")
    known = (
        "check_chain_dormancy, check_goal_progress, consolidate_memory, decay_claims, demo.flaky, demo.where, "
        "demo.work, extract_from_unit, generate_session_summary, generate_synthesis, run_observer"
    )
    expect(message).to_have_text(f"unknown task type 'no.such.type' (known types: {known})")
    expect(message).to_have_attribute("data-kind", "error")

    page.fill("#task-type", "demo.work")
    page.fill("#payload", '{"label": "x", "duration_ms": "slow"}')
    page.click("#enqueue-form button[type='submit']")
    expect(message).to_have_text(
        "invalid payload for task type 'demo.work': payload.duration_ms must be an integer, got str 'slow'"
    )
    page.fill("#payload", '{"label": ')
    page.click("#enqueue-form button[type='submit']")
    expect(message).to_contain_text("payload is not valid JSON")
    answer = api(page, "enqueue", "demo.work", "{}", '{"priority": 5000}')
    assert answer["error"]["kind"] == "InvalidOption" and "priority" in answer["error"]["message"]
    statuses = ["waiting", "scheduled", "pending", "processing", "completed", "failed", "cancelled"]
    assert api(page, "snapshot")["counts"] == dict.fromkeys(statuses, 0)
    expect(page.locator(count_selector("total"))).to_have_text("0")


def test_payload_text_is_shown_as_text_and_never_runs(page: Page, page_guard: PageGuard) -> None:
    open_app(page, QUIET)
    hostile = '<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>'
    task_id = enqueue(page, "demo.work", {"label": hostile, "duration_ms": 10})
    wait_status(page, task_id, "completed")
    row = task_row(page, task_id)
    expect(row.locator("button.pqd-open")).to_contain_text("<img src=x onerror=")
    detail = open_task(row)
    expect(detail.locator("[data-field='payload']")).to_contain_text("<script>window.__owned=2</script>")
    assert page.locator("#queue-dashboard img, #queue-dashboard script").count() == 0
    assert page.evaluate("() => window.__owned") is None


def test_the_page_says_so_when_the_runtime_cannot_load(page: Page, page_guard: PageGuard) -> None:
    page_guard.allow_errors(r".")  # the blocked runtime makes the browser log load errors
    page.route("**/pyodide.asm.wasm", lambda route: route.abort())
    page.goto("/index.html?boot_deadline_ms=4000")
    status = page.locator("#boot-status")
    expect(status).to_contain_text("The Python runtime failed to load", timeout=20_000)
    assert page.evaluate("() => document.body.dataset.ready") is None


def test_wait_until_reports_what_it_waited_for(page: Page) -> None:
    try:
        wait_until(page, lambda: None, "nothing", timeout_s=0.2)
    except AssertionError as e:
        assert "waiting for nothing" in str(e)
    else:
        raise AssertionError("wait_until should time out")


def test_the_app_zip_is_downloaded_once_by_the_pages_preload(page: Page, page_guard: PageGuard) -> None:
    # PyScript fetches its config's files only once Pyodide is up; the preload fetches the zip beside the runtime
    open_app(page, QUIET)
    downloads = page.evaluate(
        """() => performance.getEntriesByType("resource")
                   .filter((e) => new URL(e.name).pathname.endsWith("/static/pyqueue.zip"))
                   .map((e) => e.initiatorType)"""
    )
    assert downloads == ["link"]  # PyScript's own fetch took the preloaded response: no second download
