# The README's two commands, over meson:
#   make run    installs what is missing, builds, starts a node with the
#               example plugins on ./var
#   make test   installs what is missing, builds, runs every test
# Also: make build, make deps, make format, make clean.

BUILD ?= build
DATA_DIR ?= var
# In CI (CI=true) warnings are errors.
MESON_OPTIONS ?= $(if $(filter true,$(CI)),-Dwerror=true,)

DEB_PACKAGES = gcc make pkg-config meson ninja-build libzmq3-dev \
	libczmq-dev libsqlite3-dev libjansson-dev libcriterion-dev \
	python3 python3-zmq
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PLUGINS = $(BUILD)/examples/counter/counter.so \
	$(BUILD)/examples/account/account.so \
	$(BUILD)/examples/wish/wish.so

.PHONY: all deps build run test bench format clean
all: build

deps:
	@missing=""; \
	for package in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null \
	    | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi

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

bench: build
	$(BUILD)/bench/shoal-bench --shoald $(BUILD)/shoald \
	  --plugin-dir $(BUILD)/examples --probe $(BUILD)/bench/probe.so \
	  --json $(BUILD)/bench-results.json $(if $(FULL),--full,)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
