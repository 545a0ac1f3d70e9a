#!/usr/bin/env bash
# `make test`: set up, make sure Chromium and PostgreSQL are there, run pytest.
# Arguments go to pytest: bash scripts/test.sh -q tests/test_migrations.py
# Exits with pytest's code; "no tests collected" (5) counts as a failure too.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Browser tests drive Debian's Chromium (never Playwright's own download).
if [ ! -x /usr/bin/chromium ]; then
  echo "test: installing chromium"
  apt-get update -qq && apt-get install -y -qq chromium \
    || echo "test: WARNING could not install chromium; browser tests will not run" >&2
fi

# Handover PDFs: a Unicode font with Vietnamese letters; the PDF tests render pages with poppler.
missing_pkgs=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing_pkgs+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null 2>&1 || missing_pkgs+=(poppler-utils)
if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  echo "test: installing ${missing_pkgs[*]}"
  { apt-get install -y -qq "${missing_pkgs[@]}" || { apt-get update -qq && apt-get install -y -qq "${missing_pkgs[@]}"; }; } \
    || echo "test: WARNING could not install ${missing_pkgs[*]}; the PDF tests will not run" >&2
fi

# PostgreSQL tests use the server on 127.0.0.1:5432 (they skip without it, but fail under CI=true).
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_answers; then
  echo "test: starting PostgreSQL"
  if pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start; then
    for _ in $(seq 30); do pg_answers && break; sleep 1; done
  fi
  pg_answers || echo "test: WARNING PostgreSQL is not answering on 127.0.0.1:5432" >&2
fi

# Redis holds shared rate-limit counters (tests/test_rate_limit_redis.py).
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && command -v redis-server >/dev/null; then
  echo "test: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
fi

# The suite runs on every core (pytest-xdist), a test file per worker so module-scoped servers
# and browsers are shared within a file; PYTEST_WORKERS=0 runs it in one process.
workers=${PYTEST_WORKERS:-$(nproc)}
parallel=()
# --no-loadscope-reorder: the workers take the files in the order tests/conftest.py sorts them (the
# longest first), not re-sorted by their number of tests. (Here, not in pyproject.toml: pytest without
# xdist, `-p no:xdist`, would refuse the option.)
[ "$workers" -gt 1 ] && parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder)

status=0
if [ "$workers" -gt 1 ]; then
  # Then the tests marked `alone` (latencies against a baseline), in one process with the machine to
  # itself (tests/conftest.py keeps each run's share). A run that selects none of one share gets 5 from it.
  shared=0 alone=0
  POSTROUND_TESTS=shared .venv/bin/python -m pytest "${parallel[@]}" "$@" || shared=$?
  POSTROUND_TESTS=alone .venv/bin/python -m pytest "$@" || alone=$?
  if [ "$shared" -eq 5 ] && [ "$alone" -eq 5 ]; then
    status=5
  elif [ "$shared" -ne 0 ] && [ "$shared" -ne 5 ]; then
    status=$shared
  elif [ "$alone" -ne 0 ] && [ "$alone" -ne 5 ]; then
    status=$alone
  fi
else
  .venv/bin/python -m pytest "$@" || status=$?
fi
if [ "$status" -eq 5 ]; then
  echo "test: pytest collected no tests; that is a failure" >&2
fi
exit "$status"
