# The two commands of the README. Pass pytest arguments with ARGS, e.g.
#   make test ARGS="-q tests/test_migrations.py"
.PHONY: run test setup

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

setup:
	bash scripts/setup.sh
