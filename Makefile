# radiuscnn: two commands on a fresh machine.
#   make report   the main job: derivation report (PDF) on the embedded default configuration
#   make test     the unit tests (tests/) and the claim catalogue (verify/)
# Both create .venv and install the project into it on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
# the machine's CPU build of torch 2.13.0 lies in /opt/wheels; without it pip would fetch a CUDA build
PIP_FIND = $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
TEX_PACKAGES = texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk poppler-utils

.PHONY: install tex report test fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(PIP_FIND) torch==2.13.0
	$(BIN)/python -m pip install -q $(PIP_FIND) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# TeX Live from Debian's packages (needs root or sudo); skipped when latexmk and pdftotext exist.
tex:
	@if command -v latexmk >/dev/null && command -v pdftotext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); \
	else \
	  echo "TeX is missing: run 'sudo apt-get install $(TEX_PACKAGES)'"; exit 1; \
	fi

report: $(STAMP) tex
	$(BIN)/radiuscnn report

test: $(STAMP) tex
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 --dist load tests verify

fast: $(STAMP)
	$(BIN)/python -m pytest -q tests verify -m fast

bench: $(STAMP)
	$(BIN)/python benchmarks/ensemble_vs_loop.py
	$(BIN)/python benchmarks/derive_scaling.py

clean:
	rm -rf $(VENV) .pytest_cache runs reports/default
