# Stemforge — the two commands of the README, and their parts.
#   make demo   install what is missing, build (Release), render the demo session
#   make test   install what is missing, build Release + ASan/UBSan (warnings as errors,
#               asserts on), run every test in Release and the unit tests and a chosen
#               set of the others under ASan (ASAN_TESTS), then build the libFuzzer
#               fuzzers (clang) and run each for FUZZ_SECONDS on its corpus
JOBS  ?= $(shell nproc)
BUILD ?= build
ASAN  ?= build-asan
FUZZ  ?= build-fuzz
# Seconds per fuzzer in `make test` (eight fuzzers); longer runs: scripts/fuzz.sh -t.
FUZZ_SECONDS ?= 15
DEMO_DIR ?= $(BUILD)/demo

# The test builds are stricter than a user's: warnings in our code are
# errors and assert() stays on in Release. Target-specific, so `make test`
# passes them to the `build`/`build-asan` it depends on; `make demo` passes
# nothing and keeps what the folder was configured with (OFF when fresh).
CONFIG_FLAGS ?=
TEST_CONFIG_FLAGS = -DSTEMFORGE_WERROR=ON -DSTEMFORGE_ASSERTS=ON
test test-release test-asan: CONFIG_FLAGS = $(TEST_CONFIG_FLAGS)

.PHONY: deps build build-asan build-fuzz demo test test-release test-asan test-fuzz clean

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CONFIG_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DSTEMFORGE_SANITIZE=ON -DSTEMFORGE_GUI=OFF $(CONFIG_FLAGS)
	cmake --build $(ASAN) -j $(JOBS)

# libFuzzer needs clang (16: the first that compiles libstdc++'s std::expected).
# Clang's warning set is not GCC's: the GCC builds above are the -Werror gate.
build-fuzz: deps
	cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
		-DSTEMFORGE_FUZZ=ON -DSTEMFORGE_GPU=OFF -DSTEMFORGE_GUI=OFF -DSTEMFORGE_ASSERTS=ON -DSTEMFORGE_WERROR=OFF
	cmake --build $(FUZZ) -j $(JOBS) --target fuzzers

demo: build
	$(BUILD)/bin/stemforge demo $(DEMO_DIR)

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Under ASan/UBSan: every unit test, and the end-to-end and GPU suites that
# reach the most code per second (bad input, messages, I/O faults, delivery,
# batch, the GPU context, faults and the small parity stages). The
# long renders and the memory-bound tests run in the Release pass only: ASan
# runs them 3-4x slower and its quarantine and shadow memory make a peak-RSS
# bound meaningless. `make test-asan ASAN_TESTS=.` runs everything.
ASAN_TESTS ?= ^(Stages/)?(BadInput|MessagesE2E|CompareE2E|AnalyzeCli|LimitsE2E|DeliveryE2E|BatchE2E|IoFault|GpuFault|ContextTest|DeviceChoice|MasterLoopPlan|FftConvolverParity|CompressorParity|EqParity|GainParity)[./]
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt:print_suppressions=0

test-asan: build-asan
	cd $(ASAN) && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS) -L unit
	cd $(ASAN) && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS) -LE unit -R '$(ASAN_TESTS)'

test-fuzz: build-fuzz
	./scripts/fuzz.sh -b $(FUZZ) -t $(FUZZ_SECONDS)

test: test-release test-asan test-fuzz

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
