#!/usr/bin/env bash
# `make run`: set up, migrate, load the demo data once, and serve on http://127.0.0.1:5000.
# Development mode: a fixed development secret key and a SQLite file in instance/ unless
# DATABASE_URL says otherwise. Production is different: see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export POSTROUND_ENV=development
flask=(.venv/bin/flask --app wsgi)
"${flask[@]}" db upgrade
"${flask[@]}" seed-demo --if-empty   # prints the demo logins

echo "PostRound: http://127.0.0.1:5000  (API docs: http://127.0.0.1:5000/api/docs; Ctrl-C stops)"
exec "${flask[@]}" run --host 127.0.0.1 --port 5000
