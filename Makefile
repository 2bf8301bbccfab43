# gradswift: build, test and demo.  `make help` lists the targets.
#
#   make demo    install what is missing, build, run the examples
#   make test    install what is missing, build, run every test (what CI runs: .ci/run)

PYTHON       ?= python3
SWIFT        ?= swift
CONFIG       := release
LIB_DIR      := .build/$(CONFIG)
LIB          := $(LIB_DIR)/libgradswift.so
CTEST_BIN    := .build/ctests/abi_tests
CTEST_SRC    := $(wildcard Tests/CTests/*.c)
CTEST_HDR    := $(wildcard Tests/CTests/*.h)
CFLAGS_TEST  := -std=c11 -Wall -Werror -O1 -g
APT_PACKAGES := libopenblas-dev python3-dev libffi-dev dataset-fashion-mnist fortunes
PIP_PACKAGES := numpy pytest hypothesis tqdm matplotlib scikit-learn pydynet==1.1
EXAMPLES     := python/examples/autograd1d.py python/examples/autograd2d.py
QUICK        := python/examples/dropout_bn.py python/examples/ts_prediction.py python/examples/transformer.py
DEMO         := python/examples/mnist.py --network mlp
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Runs Python scripts from the source tree with arguments $(2), headless; stops at the first failure.
define run_scripts
	@for f in $(1); do \
	    echo "== $$f $(2)"; \
	    PYTHONPATH=python MPLBACKEND=Agg $(PYTHON) $$f $(2) || exit 1; \
	done
endef

# Steps run in the order they are listed, also under `make -j`.
.NOTPARALLEL:
.PHONY: help setup build header check-header tools-test ctest swift-test pytest examples test demo \
        clean

help:
	@echo "make demo          setup + build + train: $(DEMO)"
	@echo "make test          setup + build + every test below (what CI runs)"
	@echo "make setup         install missing apt and pip packages (idempotent)"
	@echo "make build         swift build -c $(CONFIG) -> $(LIB)"
	@echo "make header        regenerate include/gradswift.h and python/gradswift/_prototypes.py"
	@echo "make check-header  fail when those files are not current or miss an exported symbol"
	@echo "make tools-test    tests of tools/gen_header.py; Tests/Golden is what tools/make_golden.py writes"
	@echo "make swift-test    swift test (engine tests, debug build)"
	@echo "make ctest         C ABI tests in Tests/CTests against $(LIB) (+ valgrind)"
	@echo "make pytest        Python tests in python/tests"
	@echo "make examples      run $(EXAMPLES), and mnist.py (both networks) and $(QUICK) with --quick"
	@echo "make clean         remove build outputs"
	@echo "(header, check-header, ctest, pytest and examples use the library as last built.)"

setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	    dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "setup: apt-get install$$missing"; \
	    $(SUDO) apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@missing="$$($(PYTHON) tools/pip_missing.py $(PIP_PACKAGES))"; \
	if [ -n "$$missing" ]; then \
	    echo "setup: pip install $$missing"; \
	    PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q --disable-pip-version-check $$missing; \
	fi
	@echo "setup: apt and pip packages present"

build:
	$(SWIFT) build -c $(CONFIG)
	@test -f $(LIB) || { echo "build: $(LIB) was not produced" >&2; exit 1; }

header:
	$(PYTHON) tools/gen_header.py

check-header:
	$(PYTHON) tools/gen_header.py --check

tools-test:
	$(PYTHON) -m pytest tools -q
	$(PYTHON) tools/make_golden.py --check

swift-test:
	$(SWIFT) test

$(CTEST_BIN): $(CTEST_SRC) $(CTEST_HDR) include/gradswift.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -Iinclude -ITests/CTests -o $@ $(CTEST_SRC) \
	    -L$(LIB_DIR) -lgradswift -Wl,-rpath,$(abspath $(LIB_DIR)) -lm -pthread

$(LIB):
	@echo "$(LIB) is missing: run \`make build\` first" >&2; exit 1

include/gradswift.h:
	@echo "$@ is missing: run \`make header\` (after \`make build\`)" >&2; exit 1

# The C tests run twice: natively, then under valgrind (when installed) to catch memory errors
# that leave the values right, such as a kernel writing past its buffer.
ctest: $(CTEST_BIN)
	$(CTEST_BIN)
	@if command -v valgrind >/dev/null; then \
	    echo "valgrind $(CTEST_BIN)"; \
	    valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite \
	        --errors-for-leak-kinds=definite \
	        $(CTEST_BIN); \
	else \
	    echo "ctest: valgrind is not installed; memory check skipped"; \
	fi

pytest:
	PYTHONPATH=python $(PYTHON) -m pytest python/tests -q

examples:
	$(call run_scripts,$(EXAMPLES))
	$(call run_scripts,python/examples/mnist.py,--quick --network mlp)
	$(call run_scripts,python/examples/mnist.py,--quick --network conv)
	$(call run_scripts,$(QUICK),--quick)

test: setup build swift-test tools-test check-header ctest pytest examples
	@echo "make test: all steps passed"

demo: setup build
	@echo "== $(DEMO)"
	PYTHONPATH=python $(PYTHON) $(DEMO)

clean:
	rm -rf .build .build-* .build_* .pytest_cache python/build python/examples/output
	find python tools -name __pycache__ -type d -prune -exec rm -rf {} +
