#!/usr/bin/env bash
# Full check, as CI runs it: install Chromium if missing, set up, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."

# The e2e tests drive Debian's Chromium (Playwright's own browser download cannot work here).
if [ ! -x /usr/bin/chromium ]; then
  echo "test: /usr/bin/chromium is missing, installing Debian's chromium"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; then
    echo "test: ERROR: could not install chromium with apt-get (needs root and the Debian archive)" >&2
    exit 1
  fi
fi

bash scripts/setup.sh

lint_dirs=()
for d in pyqueue tests web benches scripts; do
  [ -d "$d" ] && lint_dirs+=("$d")
done
echo "test: ruff check ${lint_dirs[*]}"
.venv/bin/ruff check "${lint_dirs[@]}"
echo "test: ruff format --check ${lint_dirs[*]}"
.venv/bin/ruff format --check "${lint_dirs[@]}"

echo "test: mypy --strict pyqueue"
.venv/bin/mypy --strict pyqueue

echo "test: pytest tests"
# pytest exits 5 when it collected no test: set -e treats that as a failure too.
.venv/bin/pytest tests -q --durations=20
