#!/usr/bin/env bash
# Prepare a checkout for running and testing. Idempotent: run it as often as you like.
#   - creates .venv (Python 3.11+) if it is missing;
#   - installs requirements-dev.txt into it, skipped when the requirements have not changed
#     since the last successful install (a checksum kept in .venv);
#   - generates the vocabulary and builds the web apps, unless called as `setup.sh python`
#     (what `make lint` needs: the virtualenv only).
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

[ "${1:-}" = python ] && exit 0

# --- FRONT-END BUILD (mobile_pwa/, dashboard/) ------------------------------------------
# The words for the domain's codes, generated from backend/domain/vocabulary.py for both apps.
.venv/bin/python -m backend.domain.vocabulary
# The VietQR fields the phone builds its payload with, from backend/domain/vietqr.py.
.venv/bin/python -m backend.domain.vietqr
# Each web app with a package.json: `npm ci` when its lock file changed, then `npm run build`
# into its dist/, which Flask serves (/app/ and /dashboard/).
for app in mobile_pwa dashboard; do
  [ -f "$app/package.json" ] || continue
  stamp="$app/node_modules/.postround-lock.sha256"
  wanted=$(sha256sum "$app/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing front-end packages for $app"
    (cd "$app" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wanted" > "$stamp"
  fi
  echo "setup: building $app"
  (cd "$app" && npm run build --silent)
done
# --- END FRONT-END BUILD -----------------------------------------------------------------
