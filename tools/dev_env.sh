#!/usr/bin/env bash
# Create (or update) the development environment: .venv at the repository root with the core
# and every domain package installed editable, plus the test and lint tools.
#
#   bash tools/dev_env.sh          # idempotent; re-run after pulling
#
# Pins: torchaudio 2.11 (its last release) only loads against torch 2.11, so the dev
# environment pins both (see tools/requirements-dev.txt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
packages=(-e shared)
for pkg in packages/*/; do
  [ -f "$pkg/pyproject.toml" ] && packages+=(-e "$pkg")
done
# The core is installed editable from shared/, so the domain packages depend on it by name
# here instead of by their default file:// reference (pip would see two sources for it).
PANSPECTRA_CORE_REQUIREMENT="panspectra-core" \
  .venv/bin/python -m pip install --quiet -r tools/requirements-dev.txt "${packages[@]}"
echo "dev environment ready: $root/.venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
