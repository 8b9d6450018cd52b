# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

demo: $(STAMP)
	$(VENV)/bin/zkelig demo

test: $(STAMP) $(NODE_STAMP)
	@bash tests/ensure_postgres.sh
	@bash tests/ensure_chromium.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q --durations=15

bench: $(STAMP) $(NODE_STAMP)
	@bash tests/ensure_postgres.sh
	$(PY) benchmarks/bench_curve.py
	$(PY) benchmarks/bench_verify.py
	$(PY) benchmarks/bench_poseidon.py
	$(PY) benchmarks/bench_prove.py
	$(PY) benchmarks/bench_credential.py
	$(PY) benchmarks/bench_witness.py
	$(PY) benchmarks/bench_ledger.py
	$(PY) benchmarks/bench_service.py
	$(PY) benchmarks/bench_events.py
	$(PY) benchmarks/bench_wallet.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
