#!/usr/bin/env bash
# `make run`: set up, migrate, load the demo data once, start the background worker (task queue
# and schedules), and serve on http://127.0.0.1:5000. Ctrl-C stops both.
# Development mode: a fixed development secret key and a SQLite file in instance/ unless
# DATABASE_URL says otherwise. Production is different: see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export POSTROUND_ENV=development
flask=(.venv/bin/flask --app wsgi)
"${flask[@]}" db upgrade
"${flask[@]}" seed-demo --if-empty   # prints the demo logins

# The worker: large imports and the schedules (maintenance hourly), on a SQLite queue in instance/
# unless TASK_QUEUE_URL says otherwise. Its own process group, stopped with the server.
set -m
"${flask[@]}" worker &
worker=$!
set +m
stop_worker() { kill -INT -- "-$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; }
trap stop_worker EXIT
trap 'exit 130' INT TERM
echo "PostRound worker: running (pid $worker): large imports and the hourly maintenance"

echo "PostRound: http://127.0.0.1:5000  (API docs: http://127.0.0.1:5000/api/docs; Ctrl-C stops)"
"${flask[@]}" run --host 127.0.0.1 --port 5000
