# The two commands of the README. Pass pytest arguments with ARGS, e.g.
#   make test ARGS="-q tests/test_migrations.py"
# `make lint` is the static checks (ruff, mypy, ESLint, Prettier); CI runs it before `make test`.
.PHONY: run test lint setup

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

lint:
	bash scripts/lint.sh

setup:
	bash scripts/setup.sh
