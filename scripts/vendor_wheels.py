"""Vendor micropip beside the Pyodide runtime, so PyScript's ``packages`` config works offline.

PyScript installs ``packages`` with ``loadPackage("micropip")`` then ``micropip.install``.
``loadPackage`` fetches the file that the runtime's pyodide-lock.json names from the runtime's
folder, and the npm ``pyodide`` package does not ship it. Setup fetches the same release from
PyPI: the version the lock file names, and every package the lock says it depends on.

PyPI's file is not byte for byte the build that Pyodide hosts, so its sha256 differs from the
lock's and Pyodide's integrity check would refuse it. Hence the pins below: each download must
match its pinned PyPI sha256, and that hash is then written into the vendored lock entry. A
runtime upgrade whose lock names another version, or a download that does not match its pin,
stops setup with a message saying which.

Run by scripts/setup.sh: ``python scripts/vendor_wheels.py RUNTIME_DIR`` (the Pyodide folder
being vendored). Downloads are kept in node_modules/.pyqueue-wheels, so later runs are offline.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE = REPO_ROOT / "node_modules" / ".pyqueue-wheels"
LOCK_NAME = "pyodide-lock.json"
INSTALLER = "micropip"


@dataclass(frozen=True)
class Pin:
    """A PyPI release and the sha256 of its wheel file."""

    version: str
    sha256: str


# Update together with package.json's pyodide: the versions its pyodide-lock.json names.
PINS = {
    "micropip": Pin("0.11.1", "768de165adb8e66906039d8fec4127a57f522dfdf8e6fbff877a4616941ecfd3"),
}


class VendorError(Exception):
    """Raised when a wheel cannot be vendored as pinned (the message says what to change)."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def needed(lock: dict[str, Any], name: str = INSTALLER) -> list[str]:
    """``name`` and everything the lock file says it depends on, sorted."""
    packages = lock["packages"]
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(packages[current]["depends"])
    return sorted(found)


def _check_pin(name: str, entry: dict[str, Any]) -> Pin:
    pin = PINS.get(name)
    if pin is None:
        raise VendorError(f"the runtime's {LOCK_NAME} needs {name} {entry['version']}: pin it in {__file__}")
    if entry["version"] != pin.version:
        raise VendorError(
            f"the runtime's {LOCK_NAME} names {name} {entry['version']} but {__file__} pins {pin.version}: "
            "update the pin (version and the sha256 of the PyPI wheel)"
        )
    return pin


def pip_download(name: str, pin: Pin, python: str, cache: Path) -> None:
    """Fetch release ``pin`` of ``name`` from the package index into ``cache`` (no dependencies)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version"]
    command += [python, "--dest", str(cache), f"{name}=={pin.version}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise VendorError(f"could not download {name} {pin.version}:\n{done.stdout}{done.stderr}")


Fetch = Callable[[str, Pin, str, Path], None]


def _cached(name: str, pin: Pin, file_name: str, python: str, cache: Path, fetch: Fetch) -> Path:
    """The pinned wheel from the cache, fetched first if it is not there yet."""
    wheel = cache / file_name
    if wheel.is_file() and sha256_of(wheel) == pin.sha256:
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    wheel.unlink(missing_ok=True)  # pip keeps a file that is already there, even a wrong one
    fetch(name, pin, python, cache)
    if not wheel.is_file():
        raise VendorError(f"downloading {name} {pin.version} gave no {file_name}, the file the lock names")
    actual = sha256_of(wheel)
    if actual != pin.sha256:
        wheel.unlink()
        raise VendorError(f"{file_name} from PyPI has sha256 {actual}, but {__file__} pins {pin.sha256}")
    return wheel


def vendor(runtime: Path, cache: Path = CACHE, fetch: Fetch = pip_download) -> list[str]:
    """Copy the pinned wheels into ``runtime`` and point its lock entries at them; return their file names."""
    lock_path = runtime / LOCK_NAME
    lock = json.loads(lock_path.read_text())
    python = ".".join(lock["info"]["python"].split(".")[:2])
    names = []
    for name in needed(lock):
        entry = lock["packages"][name]
        pin = _check_pin(name, entry)
        wheel = _cached(name, pin, entry["file_name"], python, cache, fetch)
        shutil.copy2(wheel, runtime / entry["file_name"])
        entry["sha256"] = pin.sha256
        names.append(entry["file_name"])
    lock_path.write_text(json.dumps(lock))
    return names


if __name__ == "__main__":
    try:
        print(f"setup: vendored {', '.join(vendor(Path(sys.argv[1])))}")
    except VendorError as error:
        raise SystemExit(f"setup: ERROR: {error}") from None
