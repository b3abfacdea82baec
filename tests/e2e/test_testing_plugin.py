"""The pytest plugin (pyqueue.testing) on a page as a user writes it: tests/e2e/wiring_page.html.

The page only calls ``pyqueue.browser.start()``; these tests drive it through
the plugin's ``pyqueue_page`` fixture, served by the plugin's own
``pyqueue_server`` (rooted at the rootdir, this repository). The guard's tests
use small pages that only log or fetch, checked directly, and a pytest run of
their own for what the fixture's teardown catches.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urljoin

import pytest
from playwright.sync_api import BrowserContext, Route

from pyqueue.constants import SCHEMA_VERSION
from pyqueue.testing.page import PyqueuePage

from .conftest import CHROMIUM, CHROMIUM_ARGS

pytest_plugins = ["pytester"]

PAGE = "tests/e2e/wiring_page.html"
SCRIPTED = "scripted-page.html"
"""Not a file: each guard test serves its own page here, on the plugin server's origin."""
LOGS_AN_ERROR = "console.error('the feed is down'); window.done = true;"
FETCHES_OFF_ORIGIN = "fetch('http://example.invalid/x').then(() => { window.done = true; });"
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
    pyqueue_page.allow_errors(r"VersionError")  # provoked: allowed only now, so the wait above failed on it


def scripted_page(context: BrowserContext, pyqueue_server: str, script: str) -> PyqueuePage:
    """A new tab of the server's origin running *script*; not the fixture's page, so the test checks its guard."""
    page = context.new_page()
    html = f'<!doctype html><link rel="icon" href="data:,"><script>{script}</script>'

    def serve(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html")

    def answer_off_origin(route: Route) -> None:
        route.fulfill(body="{}", content_type="application/json", headers={"Access-Control-Allow-Origin": "*"})

    page.route(urljoin(pyqueue_server, SCRIPTED), serve)
    page.route("http://example.invalid/**", answer_off_origin)  # answered, so only the guard can object
    view = PyqueuePage(page, pyqueue_server)
    view.goto(SCRIPTED, wait=False)
    return view


def is_done(view: PyqueuePage) -> bool:
    return bool(view.page.evaluate("() => window.done === true"))


def test_a_wait_that_holds_at_once_still_fails_on_an_error_logged_before_it(
    context: BrowserContext, pyqueue_server: str
) -> None:
    # Given a page that logged an error before anything waited on it
    view = scripted_page(context, pyqueue_server, LOGS_AN_ERROR)
    # Then a wait whose condition already holds fails, showing the error line
    with pytest.raises(pytest.fail.Exception, match=r"(?s)while waiting for the page.*\[error\] the feed is down"):
        view.wait_until(lambda: is_done(view), "the page")


def test_an_allowed_error_lets_the_waits_and_the_check_pass(context: BrowserContext, pyqueue_server: str) -> None:
    view = scripted_page(context, pyqueue_server, LOGS_AN_ERROR)
    view.allow_errors(r"feed is down")
    view.wait_until(lambda: is_done(view), "the page")
    view.check()
    assert "[error] the feed is down" in view.console


def test_a_request_off_the_server_origin_fails_the_check_naming_its_url(
    context: BrowserContext, pyqueue_server: str
) -> None:
    # Given a page that fetched from another origin, and got its answer
    view = scripted_page(context, pyqueue_server, FETCHES_OFF_ORIGIN)
    view.page.wait_for_function("() => window.done === true")
    # Then the check fails, naming the URL
    with pytest.raises(pytest.fail.Exception, match=r"off-origin request.*\] http://example\.invalid/x"):
        view.check()


GUARDED_USER_TESTS = """
def load(pyqueue_page, name):
    pyqueue_page.goto(name, wait=False)
    pyqueue_page.page.wait_for_function("() => window.done === true")

def test_fetches_from_a_cdn(pyqueue_page):
    pyqueue_page.page.route("http://example.invalid/**", lambda route: route.fulfill(
        body="{}", headers={"Access-Control-Allow-Origin": "*"}))
    load(pyqueue_page, "fetches.html")

def test_logs_an_error(pyqueue_page):
    load(pyqueue_page, "logs.html")

def test_provokes_an_error_it_allows(pyqueue_page):
    pyqueue_page.allow_errors("feed is down")
    load(pyqueue_page, "logs.html")
"""


def test_the_fixture_fails_a_test_at_teardown_on_an_error_or_an_off_origin_request(pytester: pytest.Pytester) -> None:
    # Given a user's pages, one fetching from another origin and one logging an error
    for name, script in (("fetches.html", FETCHES_OFF_ORIGIN), ("logs.html", LOGS_AN_ERROR)):
        pytester.path.joinpath(name).write_text(f'<link rel="icon" href="data:,"><script>{script}</script>')
    launch = {"headless": True, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
    pytester.makeconftest(
        f"import pytest\n\n@pytest.fixture(scope='session')\ndef browser_type_launch_args():\n    return {launch!r}\n"
    )
    pytester.makepyfile(GUARDED_USER_TESTS)
    # When their tests, which wait for neither, run with the plugin's fixture
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # Then each unallowed problem fails its test at teardown, named; the allowed error passes
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_fetches_from_a_cdn*"])
    result.stdout.fnmatch_lines(["*off-origin request*http://example.invalid/x"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_logs_an_error*"])
    result.stdout.fnmatch_lines(["*[[]error[]] the feed is down"])
