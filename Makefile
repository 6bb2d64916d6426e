# Set-up and entry points. `make run` and `make test` create .venv when it is missing.
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
RUN_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0

.PHONY: venv run test bench bench-data bench-train bench-serve corpus real-audio real-audio-holdout own-sound sources events clean

$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v python$(PYTHON_VERSION) >/dev/null || { echo "python$(PYTHON_VERSION) not found (pyenv install $(PYTHON_VERSION))"; exit 1; }
	test -x $(PY) || python$(PYTHON_VERSION) -m venv $(VENV)
	$(PY) -m pip install -q -U "pip>=24"
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) -m pipeline run --profile $(PROFILE) $(RUN_ARGS)

# The suite on TEST_WORKERS processes (pytest-xdist), each test file whole on one of them: a
# file's module fixtures (the end-to-end runs, the Table 1 study) are built once.
TEST_WORKERS ?= 2

test: venv
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=10 tests

bench: venv
	$(PY) -m pipeline bench --output build/bench.json

bench-data: venv
	$(PY) -m pipeline bench --only data --output build/bench-data.json

bench-train: venv
	$(PY) -m pipeline bench --only train --only serve --output build/bench-train.json

bench-serve: venv
	$(PY) -m pipeline bench --only serve --output build/bench-serve.json

real-audio: venv
	$(PY) -m pipeline real-audio --output build/real_audio

# The held-out real set: other recordings from other packages (about 375 MB of packages, cached
# in build/real_audio_cache); evaluate on it with RUN_ARGS="--set real_audio=holdout".
real-audio-holdout: venv
	$(PY) -m pipeline real-audio --set holdout --output build/real_audio_holdout

# "Your own sound" on real recordings: source = the embedded corpus (baby cry), target = real
# glass breaks and ambiences (openclonk-data files train, the others test); report under
# build/own-sound/reports/.
own-sound: venv
	$(PY) -m pipeline real-audio --output build/real_audio --fewshot-output build/real_fewshot
	$(PY) -m pipeline run --profile $(PROFILE) --target-data build/real_fewshot \
		--target-class glassbreak --set real_audio=off --output-dir build/own-sound $(RUN_ARGS)

# Single- vs multi-class source pre-training, methods (a)-(c), 5 seeds (about 80 min on 2 cores).
sources: venv
	$(PY) -m pipeline experiment sources --profile $(PROFILE) --seeds 5 --out build/experiments/sources

# Event onsets of transfer (c) and scratch, DCASE 2017 Task 2 scoring, 5 seeds (about 60 min).
events: venv
	$(PY) -m pipeline experiment events --profile $(PROFILE) --seeds 5 --out build/experiments/events

corpus: venv
	$(PY) -m pipeline export-corpus --output build/embedded_corpus

clean:
	rm -rf build .pytest_cache
