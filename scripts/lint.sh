#!/usr/bin/env bash
# `make lint`: every static check, all run even when one fails; exits non-zero if any failed.
#   Python:  ruff check, ruff format --check (pyproject.toml), mypy on backend/domain, sync and
#            backend/services ([tool.mypy] in pyproject.toml);
#   web:     ESLint (eslint.config.js, the recommended rules) and Prettier --check (.prettierrc.json)
#            over mobile_pwa/src, dashboard/src and web/common, with the linters of the root
#            package.json (`npm ci` at the root when its lock file changed).
# `make format` (lint.sh --fix) applies ruff format and Prettier first, then checks. Prettier runs
# twice: on some member chains its first pass is not its last.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh python   # .venv with requirements-dev.txt (ruff, mypy), nothing built

stamp=node_modules/.postround-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "lint: installing the JavaScript linters (package.json)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > "$stamp"
fi

WEB=(mobile_pwa/src dashboard/src web/common)
if [ "${1:-}" = --fix ]; then
  echo "lint: applying ruff format and Prettier"
  .venv/bin/ruff format .
  node_modules/.bin/prettier --write --log-level warn "${WEB[@]}"
  node_modules/.bin/prettier --write --log-level warn "${WEB[@]}"
fi
failed=()
check() {
  local name=$1; shift
  echo "lint: $name"
  "$@" || failed+=("$name")
}
check "ruff check" .venv/bin/ruff check .
check "ruff format" .venv/bin/ruff format --check --output-format concise .
check "mypy" .venv/bin/mypy
check "eslint" node_modules/.bin/eslint --max-warnings 0 "${WEB[@]}"
check "prettier" node_modules/.bin/prettier --check --log-level warn "${WEB[@]}"

if [ "${#failed[@]}" -gt 0 ]; then
  echo "lint: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "lint: all checks passed"
