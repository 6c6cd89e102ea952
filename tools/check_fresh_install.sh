#!/usr/bin/env bash
# Prove that each domain package installs by itself into a brand-new virtualenv with plain
# `pip install -e packages/<domain>` (the core comes from shared/ through the package's own
# metadata) and that its CLIs answer --help and --version.
#
#   bash tools/check_fresh_install.sh [hsi ts ...]
#
# PIP_CONSTRAINT pins torch to the development version so pip can reuse its cache; it
# installs nothing by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
domains=("$@")
if [ ${#domains[@]} -eq 0 ]; then
  for pkg in "$root"/packages/*/; do
    [ -f "$pkg/pyproject.toml" ] && domains+=("$(basename "$pkg")")
  done
fi
declare -A clis=(
  [hsi]="hsi-classify hsi-unmix" [ts]="ts-forecast"
  [audio]="audio-classify audio-enhance audio-separate" [vision]="vision-classify"
  [mol]="mol-predict mol-nmr"
)
constraints="$(mktemp)"
grep -E '^(torch|torchaudio|torchvision)==' "$root/tools/requirements-dev.txt" | sed 's/ *#.*//' > "$constraints"
python="${PYTHON:-python3}"
status=0
for domain in "${domains[@]}"; do
  venv="$(mktemp -d)/venv"
  echo "-- $domain: fresh venv at $venv"
  "$python" -m venv "$venv"
  if ! PIP_CONSTRAINT="$constraints" "$venv/bin/pip" install --quiet -e "$root/packages/$domain" \
      > "$venv.log" 2>&1; then
    echo "FAIL: pip install -e packages/$domain"; tail -20 "$venv.log"; status=1; continue
  fi
  core_location="$("$venv/bin/python" -c 'import panspectra_core, os; print(os.path.dirname(panspectra_core.__file__))')"
  echo "   panspectra_core imported from $core_location"
  for cli in ${clis[$domain]}; do
    if "$venv/bin/$cli" --help > /dev/null && "$venv/bin/$cli" --version; then
      echo "   ok: $cli --help / --version"
    else
      echo "FAIL: $cli"; status=1
    fi
  done
  "$venv/bin/python" -c "
from panspectra_core.registry import list_models
names = list_models(domain='$domain')
assert names, 'no $domain models registered'
print('   models:', ', '.join(names))"
  rm -rf "$(dirname "$venv")"
done
rm -f "$constraints"
exit $status
