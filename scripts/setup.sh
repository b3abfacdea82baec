#!/usr/bin/env bash
# Idempotent project setup: .venv with the dev extras, node_modules from the lock,
# the browser runtime copied into static/vendor/ (with micropip), static/pyqueue.zip
# rebuilt, and the library's wheel built into static/dist/.
# Safe to run on a fresh clone and again at every serve/test.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Python venv -----------------------------------------------------------
# Recreate the venv if its interpreter is gone (e.g. the base Python changed).
if [ -d .venv ] && ! .venv/bin/python -c '' 2>/dev/null; then
  echo "setup: .venv is broken, recreating it"
  rm -rf .venv
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
# Reinstall only when pyproject.toml (the pinned dev extras) or the interpreter changed.
# The install is editable, so edits to pyqueue/ never need a reinstall.
py_stamp="$( (cat pyproject.toml; .venv/bin/python -VV) | sha256sum | cut -d' ' -f1)"
if [ "$(cat .venv/.pyqueue-setup-stamp 2>/dev/null)" != "$py_stamp" ]; then
  echo "setup: pip install -e .[dev]"
  # The distribution was called "pyqueue" before it became "pyqueue-idb": drop that old install.
  .venv/bin/python -m pip uninstall -q -y pyqueue 2>/dev/null || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$py_stamp" > .venv/.pyqueue-setup-stamp
fi

# --- npm packages (Pyodide, PyScript) -------------------------------------
npm_stamp="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat node_modules/.pyqueue-lock-stamp 2>/dev/null)" != "$npm_stamp" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_stamp" > node_modules/.pyqueue-lock-stamp
fi

# --- static/pyqueue-dashboard.css --------------------------------------------
# The dashboard component's style sheet (package data of pyqueue.browser.dashboard),
# beside what the pages load, for a page that mounts the dashboard to link.
mkdir -p static
cp pyqueue/browser/dashboard/dashboard.css static/pyqueue-dashboard.css

# --- vendored runtime -----------------------------------------------------
# Copied fresh every run (about 20 MB, well under a second), then swapped in. The
# temp copy lives in node_modules/ (git-ignored) so an interrupted run leaves no litter.
# pyodide.mjs fetches pyodide.asm.mjs, pyodide.asm.wasm, python_stdlib.zip and
# pyodide-lock.json at start; the .map is only for devtools.
tmp=node_modules/.pyqueue-vendor.tmp
rm -rf "$tmp"
mkdir -p "$tmp/pyodide" "$tmp/pyscript" static
for f in pyodide.mjs pyodide.mjs.map pyodide.asm.mjs pyodide.asm.wasm python_stdlib.zip \
         pyodide-lock.json package.json; do
  cp node_modules/pyodide/"$f" "$tmp/pyodide/"
done
cp -R node_modules/@pyscript/core/dist/. "$tmp/pyscript/"
# The standard library with its bytecode: Pyodide ships it as sources and never writes bytecode,
# so every page (and every worker) compiled the modules its start imports, about two thirds of
# loadPyodide (2.6-3.1 s against 0.9-1.0 s with bytecode, under Node here). Compiled once per
# Pyodide version by that Pyodide (scripts/compile_stdlib.mjs), cached beside the package.
stdlib_cache="node_modules/.pyqueue-pyc/stdlib-$(sha256sum node_modules/pyodide/python_stdlib.zip | cut -c1-16).zip"
if [ ! -f "$stdlib_cache" ]; then
  mkdir -p node_modules/.pyqueue-pyc
  rm -f node_modules/.pyqueue-pyc/stdlib-*.zip  # another Pyodide's, 7 MB each
  node scripts/compile_stdlib.mjs node_modules/pyodide "$stdlib_cache.tmp"
  mv "$stdlib_cache.tmp" "$stdlib_cache"
fi
cp "$stdlib_cache" "$tmp/pyodide/python_stdlib.zip"
# micropip (PyScript's `packages` installs with it), pinned, from PyPI; offline once cached.
.venv/bin/python scripts/vendor_wheels.py "$tmp/pyodide"
rm -rf static/vendor
mv "$tmp" static/vendor

# --- static/pyqueue.zip ---------------------------------------------------
# pyqueue/**/*.py + py.typed and web/**/*.py, paths relative to the repo root, each
# .py with its bytecode for the vendored Pyodide (why: scripts/build_zip.py).
# Rebuilt every run so it is never stale; written to a temp file then renamed.
.venv/bin/python scripts/build_zip.py

# --- static/dist/: the wheel ------------------------------------------------
# The library alone, as a user installs it (README, "Install"); about a second.
.venv/bin/python scripts/build_wheel.py
# The worker runner's bootstrap must be a file on the page's origin (a worker cannot start from a wheel).
cp pyqueue/browser/worker/worker.mjs static/pyqueue-worker.mjs
