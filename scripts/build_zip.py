"""Build static/pyqueue.zip: pyqueue's and the app's sources, each beside its bytecode for the vendored Pyodide.

Pyodide never writes bytecode (``sys.dont_write_bytecode``), so a page that
imports from plain sources compiles every module at every load: 0.9 s for the
110 files here in the browser, against 0.05 s to load them compiled, and the
app's start is mostly imports (benches/NOTES-perf.md, "Round 3"). So each
source goes into the zip with its ``__pycache__/<name>.<tag>.pyc``, compiled by
that same Pyodide under Node (``scripts/compile_pyc.mjs``). The pycs are
checked-hash ones (PEP 552): the importer compares them with the source's hash,
so a source changed after the build (the e2e tests write modules into the
unpacked tree) is compiled again, never run stale.

Compiling means starting Pyodide (seconds), so the pycs are cached by the
sha256 of their source in ``node_modules/.pyqueue-pyc/<pyodide version>/``: a
setup with no Python change does not start it.

Run by scripts/setup.sh, from the repository root, after the runtime is vendored.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (("pyqueue", ("*.py", "py.typed")), ("web", ("*.py",)))
SCRIPTS = frozenset({Path("web/main.py")})
"""Run by PyScript as the page's script (top-level await), never imported: nothing to compile."""
OUT = REPO_ROOT / "static" / "pyqueue.zip"


def sources() -> list[Path]:
    """pyqueue/**/*.py + py.typed and web/**/*.py, relative to the repository root."""
    files: set[Path] = set()
    for top, patterns in PACKAGES:
        for pattern in patterns:
            files.update(p for p in Path(top).rglob(pattern) if "__pycache__" not in p.parts)
    return sorted(files)


def pyodide_version() -> str:
    package = json.loads((REPO_ROOT / "static" / "vendor" / "pyodide" / "package.json").read_text())
    return str(package["version"])


def compiled(python: list[Path]) -> tuple[Path, str, dict[Path, str]]:
    """The cache folder, the runtime's cache tag, and each source's key there (compiling what is missing)."""
    cache = REPO_ROOT / "node_modules" / ".pyqueue-pyc" / pyodide_version()
    keys = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in python}
    missing = {key: path.as_posix() for path, key in keys.items() if not (cache / f"{key}.pyc").is_file()}
    if missing or not (cache / "cache_tag").is_file():
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=REPO_ROOT / "node_modules") as jobs:
            json.dump({"out_dir": str(cache), "sources": missing}, jobs)
            jobs.flush()
            subprocess.run(["node", "scripts/compile_pyc.mjs", jobs.name], check=True, cwd=REPO_ROOT)
        print(f"setup: compiled {len(missing)} Python files with the vendored Pyodide")
    for stale in set(cache.glob("*.pyc")) - {cache / f"{key}.pyc" for key in keys.values()}:
        stale.unlink()  # an older version of a source: the cache holds the sources of this tree only
    return cache, (cache / "cache_tag").read_text().strip(), keys


def main() -> None:
    os.chdir(REPO_ROOT)
    files = sources()
    cache, tag, keys = compiled([p for p in files if p.suffix == ".py" and p not in SCRIPTS])
    tmp = REPO_ROOT / "node_modules" / ".pyqueue.zip.tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, path.as_posix())
            if path in keys:
                pyc = path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc"
                zf.write(cache / f"{keys[path]}.pyc", pyc.as_posix())
    os.replace(tmp, OUT)
    print(f"setup: static/pyqueue.zip has {len(files)} files, with {len(keys)} compiled for {tag}")


if __name__ == "__main__":
    main()
