# The two commands (see README). Everything else is in scripts/.
.PHONY: run test setup bench

run:
	scripts/run

test:
	scripts/test

setup:
	scripts/setup test

bench:
	scripts/setup bench
	.venv/bin/python bench/run_all.py
