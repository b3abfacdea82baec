"""Build the pyqueue wheel into static/dist/, from a clean copy of what the wheel is made of.

Why a copy: setuptools reuses build/ and writes *.egg-info into the source tree, so a module
deleted from pyqueue/ would linger in build/lib and ship in the next wheel. A fresh copy of
pyproject.toml, README.md and pyqueue/ gives the library alone and leaves the tree untouched.
Why the backend is called directly, without build isolation: setup must work offline, and the
venv already has the pinned setuptools. SOURCE_DATE_EPOCH makes the bytes depend on the sources
only, so an unchanged library gives the same wheel (browsers may cache it by its hash).

Run by scripts/setup.sh with the venv's Python: ``python scripts/build_wheel.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DIST = REPO_ROOT / "static" / "dist"
SOURCES = ("pyproject.toml", "README.md", "pyqueue")
# 1980-01-01, the earliest date a zip file can hold.
REPRODUCIBLE_EPOCH = "315532800"

_BUILD = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"


def build(dist: Path = DIST) -> Path:
    """Build the wheel and make it the only file in ``dist``; return its path."""
    with tempfile.TemporaryDirectory(prefix="pyqueue-wheel-") as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        for name in SOURCES:
            path = REPO_ROOT / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                src.mkdir(exist_ok=True)
                shutil.copy2(path, src / name)
        done = subprocess.run(
            [sys.executable, "-c", _BUILD, str(out)],
            cwd=src,
            env={**os.environ, "SOURCE_DATE_EPOCH": REPRODUCIBLE_EPOCH},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"build_wheel: setuptools failed:\n{done.stdout}{done.stderr}")
        wheel = out / done.stdout.strip().splitlines()[-1]
        staged = dist.with_name(f".{dist.name}.tmp")
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        shutil.copy2(wheel, staged / wheel.name)
    shutil.rmtree(dist, ignore_errors=True)
    staged.rename(dist)
    return dist / wheel.name


if __name__ == "__main__":
    print(f"setup: built {build().relative_to(REPO_ROOT)}")
