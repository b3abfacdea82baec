"""The micropip that setup vendors beside Pyodide (for PyScript's ``packages``) is the pinned one.

The first test reads what setup left in static/vendor/pyodide; the others drive
scripts/vendor_wheels.py on a fake runtime folder, with a fake download, so they need no network.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from scripts import vendor_wheels
from scripts.vendor_wheels import Pin, VendorError

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME = REPO_ROOT / "static" / "vendor" / "pyodide"


def test_the_vendored_wheels_are_the_pinned_files_that_the_runtime_lock_names() -> None:
    lock_path = RUNTIME / vendor_wheels.LOCK_NAME
    if not lock_path.is_file():
        pytest.fail(f"{lock_path} is missing: run scripts/setup.sh")
    lock = json.loads(lock_path.read_text())
    names = vendor_wheels.needed(lock)
    assert "micropip" in names
    for name in names:
        entry, pin = lock["packages"][name], vendor_wheels.PINS[name]
        wheel = RUNTIME / entry["file_name"]
        assert wheel.is_file(), f"{wheel} is missing: run scripts/setup.sh"
        assert entry["version"] == pin.version
        # Pyodide refuses a package whose bytes do not match the lock's sha256.
        assert vendor_wheels.sha256_of(wheel) == entry["sha256"] == pin.sha256


def test_needed_follows_the_lock_dependencies_once_each() -> None:
    lock = {"packages": {"micropip": {"depends": ["b", "a"]}, "a": {"depends": ["b"]}, "b": {"depends": []}}}
    assert vendor_wheels.needed(lock) == ["a", "b", "micropip"]


WHEEL = b"the pinned wheel"
FILE_NAME = "micropip-9.9-py3-none-any.whl"


def _runtime(tmp_path: Path, version: str = "9.9", name: str = "runtime") -> Path:
    runtime = tmp_path / name
    runtime.mkdir()
    entry = {"version": version, "file_name": FILE_NAME, "sha256": "the build Pyodide hosts", "depends": []}
    lock = {"info": {"python": "3.14.2"}, "packages": {"micropip": entry}}
    (runtime / vendor_wheels.LOCK_NAME).write_text(json.dumps(lock))
    return runtime


def _fetch_giving(content: bytes) -> vendor_wheels.Fetch:
    def fetch(name: str, pin: Pin, python: str, cache: Path) -> None:
        assert (name, pin.version, python) == ("micropip", "9.9", "3.14")
        (cache / FILE_NAME).write_bytes(content)

    return fetch


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> Pin:
    pin = Pin("9.9", hashlib.sha256(WHEEL).hexdigest())
    monkeypatch.setattr(vendor_wheels, "PINS", {"micropip": pin})
    return pin


def _lock_entry(runtime: Path) -> Any:
    return json.loads((runtime / vendor_wheels.LOCK_NAME).read_text())["packages"]["micropip"]


def test_vendor_copies_the_pinned_wheel_and_points_the_lock_at_it(tmp_path: Path, pinned: Pin) -> None:
    runtime = _runtime(tmp_path)

    assert vendor_wheels.vendor(runtime, tmp_path / "cache", _fetch_giving(WHEEL)) == [FILE_NAME]

    assert (runtime / FILE_NAME).read_bytes() == WHEEL
    assert _lock_entry(runtime)["sha256"] == pinned.sha256


def test_a_second_run_uses_the_cache_without_fetching(tmp_path: Path, pinned: Pin) -> None:
    vendor_wheels.vendor(_runtime(tmp_path, name="first"), tmp_path / "cache", _fetch_giving(WHEEL))

    def no_network(*_args: object) -> None:
        raise AssertionError("fetched although the cache holds the pinned file")

    second = _runtime(tmp_path, name="second")
    vendor_wheels.vendor(second, tmp_path / "cache", no_network)
    assert (second / FILE_NAME).read_bytes() == WHEEL


def test_vendor_refuses_a_download_that_does_not_match_its_pin(tmp_path: Path, pinned: Pin) -> None:
    runtime = _runtime(tmp_path)

    with pytest.raises(VendorError, match=f"has sha256 .* pins {pinned.sha256}"):
        vendor_wheels.vendor(runtime, tmp_path / "cache", _fetch_giving(b"something else"))

    assert not (runtime / FILE_NAME).exists()
    assert not (tmp_path / "cache" / FILE_NAME).exists()  # the next run downloads again
    assert _lock_entry(runtime)["sha256"] == "the build Pyodide hosts"


def test_vendor_refuses_a_runtime_whose_lock_names_another_version(tmp_path: Path, pinned: Pin) -> None:
    runtime = _runtime(tmp_path, version="10.0")

    with pytest.raises(VendorError, match=r"names micropip 10\.0 but .* pins 9\.9: update the pin"):
        vendor_wheels.vendor(runtime, tmp_path / "cache", _fetch_giving(WHEEL))
