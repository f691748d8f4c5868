# The two commands of the README:
#   make serve   set up, build the index if missing or stale, run the API on 127.0.0.1:8000
#   make test    set up and run the whole test suite
# Everything else here is a helper of those two, or optional:
#   make llm        a real local model: llama.cpp's server in .llm-venv (compiles once, 6-17 min)
#                   and the weights in var/models (about 1.1 GB; LLM_MODEL=qwen2.5-0.5b for the small one)
#   make serve-llm  the model server on 127.0.0.1:8090, then the API on 127.0.0.1:8000 using it
#                   (LLM_PORT=... PORT=... for other ports)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The optional model server: its own venv, never a dependency of the project's.
LLM_VENV  := .llm-venv
LLM_STAMP := $(LLM_VENV)/.installed
LLM_MODEL ?= qwen2.5-1.5b
LLM_PORT  ?= 8090
PORT      ?= 8000

.PHONY: install system-deps index serve test bench clean llm serve-llm

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: the CPU wheel; an unpinned torch pulls GBs of CUDA.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/commerce-guard ingest --quiet

serve: index
	$(BIN)/commerce-guard serve

# Tests start a real redis-server on loopback; install it from Debian's packages when we can.
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -q redis-server || (apt-get update -q && apt-get install -y -q redis-server)) >/dev/null 2>&1 \
	      || echo "note: could not install redis-server; the Redis tests will be skipped"; \
	  else echo "note: redis-server not found; the Redis tests will be skipped (apt-get install redis-server)"; fi; }

# Unit, contract and integration tests, then the eval suite on the offline backend
# (a private index under var/ci-eval; the gate fails the run on a regression).
test: install system-deps
	$(BIN)/python -m pytest
	$(BIN)/commerce-guard --data-dir var/ci-eval ingest --quiet
	$(BIN)/commerce-guard --data-dir var/ci-eval eval

# Optional: a real local LLM (see README "Local model (optional)").
$(LLM_STAMP):
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	# llama-cpp-python compiles llama.cpp from source: 6-17 minutes on 2 cores, once (pip caches the wheel).
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(LLM_VENV)/bin/pip install 'llama-cpp-python[server]==0.3.36'
	touch $(LLM_STAMP)

llm: install $(LLM_STAMP)
	$(BIN)/commerce-guard llm fetch-model --model $(LLM_MODEL)

serve-llm: index llm
	$(BIN)/commerce-guard llm serve --model $(LLM_MODEL) --llm-port $(LLM_PORT) --port $(PORT)

bench: install index
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf var .pytest_cache
