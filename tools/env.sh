# Source me: points PANSPECTRA_DATA at ../shared/data when it exists beside the checkout.
_ps_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PANSPECTRA_DATA:-}" ] && [ -d "$_ps_root/../shared/data" ]; then
  export PANSPECTRA_DATA="$(cd "$_ps_root/../shared/data" && pwd)"
fi
unset _ps_root
