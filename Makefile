# The README's two commands, over meson:
#   make run    installs what is missing, builds, starts a node with the
#               example plugins on ./var
#   make test   installs what is missing, builds, runs every test
#   make demo   builds, then runs a local three-node cluster through the
#               wish story and stops it (examples/cluster/demo.sh)
# Also: make build, make deps, make format, make clean, and the checks of
# docs/TESTING.md:
#   make test-sanitized  every test, built with ASan and UBSan
#   make test-valgrind   the unit tests under valgrind's memcheck
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (clang)

BUILD ?= build
SANITIZED_BUILD ?= build-sanitized
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_TARGETS = client_request status_request config events dedup \
	client_reply topic_cursor gossip slice_chunk
DATA_DIR ?= var
# In CI (CI=true) warnings are errors.
MESON_OPTIONS ?= $(if $(filter true,$(CI)),-Dwerror=true,)

DEB_PACKAGES = gcc make pkg-config meson ninja-build libzmq3-dev \
	libczmq-dev libsqlite3-dev libjansson-dev libcriterion-dev \
	python3 python3-zmq
# What the checks add: valgrind, and clang with its runtimes (libFuzzer).
CHECK_PACKAGES = valgrind clang libclang-rt-dev
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PLUGINS = $(BUILD)/examples/counter/counter.so \
	$(BUILD)/examples/account/account.so \
	$(BUILD)/examples/wish/wish.so

.PHONY: all deps deps-checks build run test demo bench format clean \
	test-sanitized test-valgrind fuzz fuzz-build
all: build

# Installs the packages of $(1) that are missing.
define install_missing
	@missing=""; \
	for package in $(1); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null \
	    | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

deps-checks: deps
	$(call install_missing,$(CHECK_PACKAGES))

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTIONS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	mkdir -p $(DATA_DIR)
	exec $(BUILD)/shoald --data-dir $(DATA_DIR) \
	  $(foreach plugin,$(PLUGINS),--plugin $(plugin))

test: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	sh examples/cluster/demo.sh $(BUILD)

# Its tests run under tests/sanitizers/run.sh, the build's default setup.
$(SANITIZED_BUILD)/build.ninja:
	meson setup $(SANITIZED_BUILD) -Dsanitize=true $(MESON_OPTIONS)

test-sanitized: deps-checks $(SANITIZED_BUILD)/build.ninja
	ninja -C $(SANITIZED_BUILD)
	meson test -C $(SANITIZED_BUILD) --print-errorlogs

test-valgrind: deps-checks build
	meson test -C $(BUILD) --setup=valgrind --suite unit --print-errorlogs

# clang's ASan runtime is linked into executables only, so shared objects
# keep undefined references to it: b_lundef=false.
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_lundef=false \
	  $(MESON_OPTIONS)

fuzz-build: deps-checks $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzz

# Runs every target, FUZZ_JOBS at a time, each from its committed seeds
# (tests/fuzz/corpus/NAME) plus what earlier runs found
# ($(FUZZ_BUILD)/corpus/NAME). A crash, leak, sanitizer report or input
# slower than 10 s fails; its input is left in $(FUZZ_BUILD)/artifacts.
fuzz: fuzz-build
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) \
	  $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-run-%:
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/artifacts \
	  $(FUZZ_BUILD)/logs
	@echo "fuzz $*: $(FUZZ_SECONDS) s"
	@if $(FUZZ_BUILD)/tests/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$*- \
	    $(FUZZ_BUILD)/corpus/$* tests/fuzz/corpus/$* \
	    > $(FUZZ_BUILD)/logs/$*.log 2>&1; then \
	  echo "fuzz $*: ok, $$(grep -h 'stat::number_of_executed_units' \
	    $(FUZZ_BUILD)/logs/$*.log | awk '{print $$2}') runs"; \
	else \
	  tail -n 60 $(FUZZ_BUILD)/logs/$*.log; \
	  echo "fuzz $*: FAILED (log: $(FUZZ_BUILD)/logs/$*.log)"; exit 1; \
	fi

bench: build
	$(BUILD)/bench/shoal-bench --shoald $(BUILD)/shoald \
	  --plugin-dir $(BUILD)/examples --probe $(BUILD)/bench/probe.so \
	  --json $(BUILD)/bench-results.json $(if $(FULL),--full,)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SANITIZED_BUILD) $(FUZZ_BUILD)
