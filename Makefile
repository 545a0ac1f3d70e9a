# The two commands of the README. Pass pytest arguments with ARGS, e.g.
#   make test ARGS="-q tests/test_migrations.py"
# `make lint` is the static checks (ruff, mypy, ESLint, Prettier); CI runs it before `make test`.
# `make format` applies the formatters (ruff format, Prettier), then runs the same checks.
.PHONY: run test lint format setup

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

lint:
	bash scripts/lint.sh

format:
	bash scripts/lint.sh --fix

setup:
	bash scripts/setup.sh
