# nicsim: the only entry points a user needs. `make demo` and `make test` set themselves up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2

.PHONY: setup test demo lint prove synth waves bench gen check-gen clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# the whole suite: host-only unit tests and simulations (models are built once, cached in build/)
test: setup
	$(PY) -m pytest -n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

demo: setup
	$(VENV)/bin/nicsim demo

bench: setup
	$(VENV)/bin/nicsim bench

lint: setup
	$(VENV)/bin/nicsim lint

# the NIC synthesized for an ECP5 (Yosys from PyPI), DATA_WIDTH 64 and 512, and placed and
# routed at 64 for its Fmax (nextpnr-ecp5 from PyPI), unless SYNTH_ARGS says otherwise
# (--data-width 64, --no-pnr): results in build/synth/, about 40 minutes in all here
synth: setup
	$(PY) -m tb.synth $(SYNTH_ARGS)

# the formal proof of DMA isolation (SymbiYosys + Yices, about a minute; make test runs it too)
prove: setup
	$(PY) -m tb.prove

# open the newest waveform written by a run with WAVES=1, with the view of its flow
waves: setup
	$(VENV)/bin/nicsim waves $(TRACE)

# regenerate rtl/nic/nic_defs.vh from host/layout.py (the test suite checks it is up to date)
gen: setup
	$(PY) -m host.layout

clean:
	rm -rf build
