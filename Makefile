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
APT_PACKAGES := libopenblas-dev python3-dev libffi-dev dataset-fashion-mnist fortunes pkgconf libopenmpi-dev openmpi-bin
PIP_PACKAGES := numpy pytest hypothesis tqdm matplotlib scikit-learn pydynet==1.1 mpi4py
EXAMPLES     := python/examples/autograd1d.py python/examples/autograd2d.py
QUICK        := python/examples/dropout_bn.py python/examples/ts_prediction.py python/examples/transformer.py \
                python/examples/higher_order.py python/examples/modern_cnn.py
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
        bench clean fuzz-quick fuzz static-build install uninstall install-test wheel-test mpi-test

help:
	@echo "make demo          setup + build + train: $(DEMO)"
	@echo "make test          setup + build + every test below (what CI runs)"
	@echo "make setup         install missing apt and pip packages (idempotent)"
	@echo "make build         swift build -c $(CONFIG) -> $(LIB)"
	@echo "make header        regenerate include/gradswift.h, python/gradswift/_abi.py and docs/ops.md"
	@echo "make check-header  fail when those files are not current or miss an exported symbol"
	@echo "make tools-test    tests of tools/gen_header.py; Tests/Golden is what tools/make_golden.py writes"
	@echo "make swift-test    swift test (engine tests, debug build)"
	@echo "make ctest         C ABI tests in Tests/CTests against $(LIB) (+ valgrind)"
	@echo "make pytest        Python tests in python/tests"
	@echo "make mpi-test      gradswift.distributed's tests in python/tests_mpi, two ranks under mpirun"
	@echo "make examples      run $(EXAMPLES), and mnist.py (both networks) and $(QUICK) with --quick"
	@echo "make install       a self-contained library, header and gradswift.pc into PREFIX=$(PREFIX) (uninstall)"
	@echo "make install-test  install into a temporary prefix, build and run the README's C example"
	@echo "make wheel-test    build the wheel, install it into a fresh venv with NumPy only, train XOR there"
	@echo "make fuzz-quick    fuzz the C ABI under ASan+UBSan, seeds $(FUZZ_QUICK_SEEDS) x $(FUZZ_QUICK_ITERATIONS) iterations"
	@echo "make fuzz          longer fuzzing: FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) FUZZ_SEED=<random> FUZZ_CONFIG=debug|release"
	@echo "make bench         setup + build + python/bench/bench.py: gradswift vs PyDyNet (and PyTorch if importable)"
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

$(CTEST_BIN): $(CTEST_SRC) $(CTEST_HDR) Tests/CTests/gen_golden_table.py include/gradswift.h $(LIB)
	@mkdir -p $(@D)
	$(PYTHON) Tests/CTests/gen_golden_table.py include/gradswift.h $(@D)/golden_table.inc
	$(CC) $(CFLAGS_TEST) -Iinclude -ITests/CTests -I$(@D) -o $@ $(CTEST_SRC) \
	    -L$(LIB_DIR) -lgradswift -Wl,-rpath,$(abspath $(LIB_DIR)) -lm -pthread

$(LIB):
	@echo "$(LIB) is missing: run \`make build\` first" >&2; exit 1

include/gradswift.h:
	@echo "$@ is missing: run \`make header\` (after \`make build\`)" >&2; exit 1

# The C tests run twice: natively, then under valgrind (when installed) to catch memory errors
# that leave the values right, such as a kernel writing past its buffer. Under valgrind (and
# the sanitizers below) every tensor comes from malloc (GRADSWIFT_PLAIN_MALLOC), so that large
# ones are watched too.
ctest: $(CTEST_BIN)
	$(CTEST_BIN)
	@if command -v valgrind >/dev/null; then \
	    echo "valgrind $(CTEST_BIN)"; \
	    GRADSWIFT_PLAIN_MALLOC=1 valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite \
	        --errors-for-leak-kinds=definite \
	        $(CTEST_BIN); \
	else \
	    echo "ctest: valgrind is not installed; memory check skipped"; \
	fi

pytest:
	PYTHONPATH=python $(PYTHON) -m pytest python/tests -q

# gradswift.distributed and DistributedDataParallel between two processes of one MPI job (Open
# MPI; as root it needs the two ALLOW variables, and --oversubscribe lets two ranks share fewer
# cores): the tests of python/tests_mpi (a failing test aborts the whole job; the timeout bounds
# a hang), a rank that raises, and the C example that trains data-parallel through the ABI.
MPI_ENV := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN  := mpirun --oversubscribe

mpi-test:
	PYTHONPATH=python $(MPI_ENV) timeout 600 $(MPIRUN) -n 2 $(PYTHON) -m pytest -q -p no:cacheprovider --color=no python/tests_mpi
	@echo "mpi-test: a rank that raises must end the job (python/tests_mpi/failing_rank.py)"
	@start=$$(date +%s); \
	out=$$(PYTHONPATH=python $(MPI_ENV) timeout 60 $(MPIRUN) -n 2 $(PYTHON) python/tests_mpi/failing_rank.py 2>&1); \
	status=$$?; seconds=$$(( $$(date +%s) - start )); \
	if [ $$status -eq 0 ] || [ $$status -eq 124 ] || ! echo "$$out" | grep -q "rank 1 raised"; then \
	    echo "$$out"; echo "mpi-test: the failing rank did not end the job (status $$status)" >&2; exit 1; fi; \
	echo "mpi-test: the job ended with status $$status after $$seconds s, naming rank 1"
	@if command -v mpicc >/dev/null; then \
	    echo "mpi-test: examples/c/data_parallel.c through the C ABI, two ranks"; \
	    mpicc -std=c11 -Wall -Werror -O1 -Iinclude examples/c/data_parallel.c -L$(LIB_DIR) -lgradswift \
	        -Wl,-rpath,$(abspath $(LIB_DIR)) -lm -o .build/data_parallel && \
	    $(MPI_ENV) timeout 300 $(MPIRUN) -n 2 .build/data_parallel; \
	else echo "mpi-test: mpicc is not installed; the C example is not built"; fi

examples:
	$(call run_scripts,$(EXAMPLES))
	$(call run_scripts,python/examples/mnist.py,--quick --network mlp)
	$(call run_scripts,python/examples/mnist.py,--quick --network conv)
	@echo "== python/examples/mnist.py --quick --network mlp --distributed (mpirun -n 2)"
	PYTHONPATH=python MPLBACKEND=Agg $(MPI_ENV) timeout 600 $(MPIRUN) -n 2 $(PYTHON) python/examples/mnist.py \
	    --quick --network mlp --distributed
	$(call run_scripts,$(QUICK),--quick)

test: setup build swift-test tools-test check-header ctest pytest mpi-test examples install-test wheel-test fuzz-quick
	@echo "make test: all steps passed"

# ---- fuzzing the C ABI (Tests/Fuzz/fuzz_abi.c) under sanitizers ----------------------------
# The library is built again with AddressSanitizer into $(ASAN_BUILD) (Swift has no
# UndefinedBehaviorSanitizer; its own overflow and bounds checks trap, and the driver reports the
# trap). The debug configuration builds about four times faster than release and keeps Swift's
# debug checks; FUZZ_CONFIG=release fuzzes the optimised code. The driver is compiled by the
# Swift toolchain's clang (its ASan runtime is the one the Swift code was instrumented for) with
# ASan and UBSan, and links the ASan runtime that the library's instrumentation calls.
# A failure prints the seed and the command that replays it with a trace of the failing
# iteration. To run another program on the ASan library, see Tests/Fuzz/README.md.
ASAN_BUILD            := .build-asan
FUZZ_CONFIG           ?= debug
FUZZ_DIR              := $(ASAN_BUILD)/fuzz-$(FUZZ_CONFIG)
FUZZ_BIN              := $(FUZZ_DIR)/fuzz_abi
SWIFT_CLANG           ?= $(dir $(realpath $(shell command -v $(SWIFT))))clang
FUZZ_CFLAGS           := -std=c11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer \
                         -fsanitize=address,undefined -fno-sanitize-recover=undefined -fuse-ld=lld
FUZZ_ENV              := GRADSWIFT_PLAIN_MALLOC=1 ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
                         UBSAN_OPTIONS=print_stacktrace=1
FUZZ_QUICK_SEEDS      ?= 1 2 3
FUZZ_QUICK_ITERATIONS ?= 20000
FUZZ_ITERATIONS       ?= 200000
FUZZ_SEED             ?= $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')

# Builds the ASan library, generates the driver's call table from the header, compiles it.
define fuzz_build
	$(SWIFT) build -c $(FUZZ_CONFIG) -Xswiftc -sanitize=address --build-path $(ASAN_BUILD)
	@mkdir -p $(FUZZ_DIR)
	$(PYTHON) Tests/Fuzz/gen_calls.py include/gradswift.h $(FUZZ_DIR)/fuzz_calls.inc $(FUZZ_DIR)/fuzz_ids.inc
	$(SWIFT_CLANG) $(FUZZ_CFLAGS) -Iinclude -I$(FUZZ_DIR) -o $(FUZZ_BIN) Tests/Fuzz/fuzz_abi.c \
	    -L$(ASAN_BUILD)/$(FUZZ_CONFIG) -lgradswift \
	    -Wl,-rpath,$(abspath $(ASAN_BUILD)/$(FUZZ_CONFIG)) -lm
endef

fuzz-quick:
	$(fuzz_build)
	@for s in $(FUZZ_QUICK_SEEDS); do \
	    echo "$(FUZZ_ENV) $(FUZZ_BIN) --seed $$s --iterations $(FUZZ_QUICK_ITERATIONS) --quiet"; \
	    $(FUZZ_ENV) $(FUZZ_BIN) --seed $$s --iterations $(FUZZ_QUICK_ITERATIONS) --quiet || exit 1; \
	done

fuzz:
	$(fuzz_build)
	$(FUZZ_ENV) $(FUZZ_BIN) --seed $(FUZZ_SEED) --iterations $(FUZZ_ITERATIONS)

# ---- installing the library for C programs ---------------------------------------------------
# The installed library links the Swift runtime statically (-static-stdlib, in its own build
# directory: alternating flags in one would rebuild everything), so it runs where Swift is not.
# The version in gradswift.pc is the engine's (libraryVersion in LibraryAPI.swift).
PREFIX           ?= /usr/local
STATIC_BUILD     := .build-static
STATIC_LIB       := $(STATIC_BUILD)/release/libgradswift.so
VERSION          := $(shell sed -n 's/^let libraryVersion.*= (\([0-9]*\), \([0-9]*\), \([0-9]*\)).*/\1.\2.\3/p' \
                      Sources/GradSwiftCABI/LibraryAPI.swift)
INSTALL_TEST_DIR := $(abspath .build/install-test)

static-build:
	$(SWIFT) build -c release -Xswiftc -static-stdlib --scratch-path $(STATIC_BUILD)

install: static-build
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/libgradswift.so
	install -m 644 include/gradswift.h $(DESTDIR)$(PREFIX)/include/gradswift.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' tools/gradswift.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/gradswift.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libgradswift.so $(DESTDIR)$(PREFIX)/include/gradswift.h \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/gradswift.pc

# Installs into a temporary prefix, checks that the library needs no Swift library, builds the
# README's C example through pkg-config, runs it, and uninstalls.
install-test:
	rm -rf $(INSTALL_TEST_DIR) && mkdir -p $(INSTALL_TEST_DIR)
	$(MAKE) --no-print-directory install PREFIX=$(INSTALL_TEST_DIR)/prefix
	@if ldd $(INSTALL_TEST_DIR)/prefix/lib/libgradswift.so | grep libswift; then \
	    echo "install-test: the installed library needs the Swift runtime" >&2; exit 1; fi
	awk '/<!-- c-example/ {found = 1; next} found && /^```c/ {copy = 1; next} copy && /^```/ {exit} copy' \
	    README.md > $(INSTALL_TEST_DIR)/example.c
	PKG_CONFIG_PATH=$(INSTALL_TEST_DIR)/prefix/lib/pkgconfig sh -c '$(CC) -std=c11 -Wall -Werror \
	    -o $(INSTALL_TEST_DIR)/example $(INSTALL_TEST_DIR)/example.c $$(pkg-config --cflags --libs gradswift)'
	LD_LIBRARY_PATH=$(INSTALL_TEST_DIR)/prefix/lib $(INSTALL_TEST_DIR)/example | tee $(INSTALL_TEST_DIR)/output
	grep -qx 'y = 13.5, dy/dw = \[5 7 9\]' $(INSTALL_TEST_DIR)/output
	test "$$(PKG_CONFIG_PATH=$(INSTALL_TEST_DIR)/prefix/lib/pkgconfig pkg-config --modversion gradswift)" = "$(VERSION)"
	$(MAKE) --no-print-directory uninstall PREFIX=$(INSTALL_TEST_DIR)/prefix
	test ! -e $(INSTALL_TEST_DIR)/prefix/lib/libgradswift.so
	@echo "install-test: passed"

# ---- the Python package as a wheel ----------------------------------------------------------
# Builds the wheel (pip wheel .: setup.py puts the static-runtime library and its OpenBLAS in
# the package), installs it with NumPy alone into a fresh virtual environment, and runs
# Tests/Wheel/train_xor.py from outside the checkout. As root (CI) the Swift toolchain and the
# system OpenBLAS are hidden from that run in a private mount namespace, so the wheel is shown
# to need neither.
WHEEL_TEST_DIR := $(abspath .build/wheel-test)
SWIFT_ROOT     := $(realpath $(dir $(realpath $(shell command -v $(SWIFT))))/../..)
SYSTEM_BLAS    := $(dir $(realpath /lib/x86_64-linux-gnu/libopenblas.so.0))
HIDE_TOOLCHAIN := $(if $(filter 0,$(shell id -u)),unshare --mount sh -c 'mount -t tmpfs none $(SWIFT_ROOT) && \
                  mount -t tmpfs none $(SYSTEM_BLAS) && exec "$$@"' sh)

wheel-test:
	rm -rf $(WHEEL_TEST_DIR) build && mkdir -p $(WHEEL_TEST_DIR)
	$(PYTHON) -m pip wheel . --no-deps -q --disable-pip-version-check -w $(WHEEL_TEST_DIR)/dist
	$(PYTHON) -m venv $(WHEEL_TEST_DIR)/venv
	$(WHEEL_TEST_DIR)/venv/bin/pip install -q --disable-pip-version-check numpy $(WHEEL_TEST_DIR)/dist/gradswift-*.whl
	@if ldd $(WHEEL_TEST_DIR)/venv/lib/python*/site-packages/gradswift/libgradswift.so | grep libswift; then \
	    echo "wheel-test: the installed library needs the Swift runtime" >&2; exit 1; fi
	cd $(WHEEL_TEST_DIR) && $(HIDE_TOOLCHAIN) $(WHEEL_TEST_DIR)/venv/bin/python $(abspath Tests/Wheel/train_xor.py)
	@echo "wheel-test: passed$(if $(HIDE_TOOLCHAIN),, (toolchain not hidden: not root))"

demo: setup build
	@echo "== $(DEMO)"
	PYTHONPATH=python $(PYTHON) $(DEMO)

# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--only mlp conv --rounds 5".
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines set to force an older, slower
# kernel, are unset for this command alone (../shared/guide/toolchain.md, "Benchmarks").
bench: setup build
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python $(PYTHON) python/bench/bench.py $(BENCH_ARGS)

clean:
	rm -rf .build .build-* .build_* .pytest_cache python/build python/examples/output
	find python tools -name __pycache__ -type d -prune -exec rm -rf {} +
