#!/usr/bin/env bash
# The project's test command (README, .ci/run): environment, lint, tests, clean-install check.
#
#   bash tools/test.sh           # everything (what CI runs)
#   bash tools/test.sh --quick   # skip the fresh-virtualenv install check (~5 min)
#
# Extra arguments after `--` go to pytest, e.g. `bash tools/test.sh --quick -- -m "not slow"`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi

bash tools/dev_env.sh
# shellcheck source=tools/env.sh
source tools/env.sh   # PANSPECTRA_DATA=../shared/data when present (tests marked `data` skip otherwise)

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== pytest"
.venv/bin/python -m pytest "$@"

if [ "$quick" = 0 ]; then
  echo "== fresh-virtualenv install of each domain package"
  bash tools/check_fresh_install.sh
fi
