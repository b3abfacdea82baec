"""The pytest plugin, registered by the ``pytest11`` entry point: its server fixture in a pytest run of its own."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TEST = """
from urllib.request import urlopen

def test_served(pyqueue_server):
    def get(name):
        with urlopen(pyqueue_server + name) as response:
            return response.headers["Content-Type"], response.headers["Cache-Control"], response.read()

    assert pyqueue_server.startswith("http://127.0.0.1:")
    assert get("runtime.mjs") == ("text/javascript", "no-store", b"export {};")
    assert get("runtime.wasm")[:2] == ("application/wasm", "no-cache")
"""


def test_the_server_fixture_serves_the_configured_root_with_the_types_pyodide_needs(pytester: pytest.Pytester) -> None:
    # Given a project whose pages live in site/, named by the pyqueue_root ini option
    pytester.makeini("[pytest]\npyqueue_root = site\n")
    site = pytester.mkdir("site")
    (site / "runtime.mjs").write_text("export {};")
    (site / "runtime.wasm").write_bytes(b"\0asm")
    pytester.makepyfile(USER_TEST)
    # When its tests run, with no -p option: the entry point alone loads the plugin
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # Then the fixture served site/ with the module and wasm types, uncached
    result.assert_outcomes(passed=1)


def test_a_missing_root_fails_with_its_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TEST)
    result = pytester.runpytest_subprocess("--pyqueue-root", "nowhere")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pyqueue_root*nowhere is not a directory*"])
