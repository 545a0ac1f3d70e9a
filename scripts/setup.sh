#!/usr/bin/env bash
# Prepare a checkout for running and testing. Idempotent: run it as often as you like.
#   - creates .venv (Python 3.11+) if it is missing;
#   - installs requirements-dev.txt into it, skipped when the requirements have not changed
#     since the last successful install (a checksum kept in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing Python packages (requirements-dev.txt)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$wanted" > "$stamp"
fi

# --- FRONT-END BUILD (mobile_pwa/) -------------------------------------------------------
# Reserved for the PWA build step (e.g. `npm ci && npm run build` in mobile_pwa/).
# Keep it idempotent, like the steps above.
# --- END FRONT-END BUILD -----------------------------------------------------------------
