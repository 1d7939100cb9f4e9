# Everything runs from a virtualenv inside the repository, so a fresh clone
# needs only python3 (3.11 or newer) on the PATH.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo server test lint completions bench clean

$(BIN)/s3cache: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## demo: on a local S3 server, export a real BuildKit cache, inspect --check it,
## import it into a fresh directory and compare that with the original
demo: $(BIN)/s3cache
	$(BIN)/python -m devtools.demo

## server: run a local S3 server (SeaweedFS on 127.0.0.1:8333) to try commands
## by hand; it prints the settings to use, and Ctrl-C stops it (SERVER_ARGS=--help)
server: $(BIN)/s3cache
	$(BIN)/python -m devtools.seaweed $(SERVER_ARGS)

## test: lint, the test suite against a local S3 server, then its heavy variants
test: $(BIN)/s3cache
	$(BIN)/ruff check s3cache_cli tests devtools bench
	$(BIN)/ruff format --check s3cache_cli tests devtools bench
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -m heavy

## completions: regenerate the bash, zsh and fish scripts in completions/
completions: $(BIN)/s3cache
	$(BIN)/python -m devtools.completions

## bench: measure s3cache against s5cmd and the AWS CLI, write BENCHMARKS.md (BENCH_ARGS=--quick)
bench:
	./bench/run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
