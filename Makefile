# A thin wrapper over CMake.  `make run` and `make test` are the two set-up
# commands of the README; both install missing Debian packages first.
BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 600
TEST_FUZZ_SECONDS ?= 15
CMAKE_FLAGS ?=
# The interpreter CMake chose for the tests (it has cbor2 and PyNaCl).
PYTHON = $(shell sed -n 's/^MESHBEAT_PYTHON:FILEPATH=//p' $(BUILD)/CMakeCache.txt)

.PHONY: all deps build run test test-asan bench fuzz docs clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD)

# The whole suite: unit, CLI and corpus-replay tests, then a short real
# libFuzzer run of every decoder (clang build in $(BUILD_FUZZ)).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

# Under ASan and UBSan: everything but the fuzzers' long runs, the heavy
# 1000-node scenarios and seven of the RAID campaign's eight ranges (the
# first 125 seeds run: about 1 s each under ASan).
test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DMESHBEAT_SANITIZE=ON -DMESHBEAT_WERROR=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) \
	  -E '^fuzz_[a-z]+$$|^sim_raid_campaign_[1-7]$$' -LE heavy

bench: build
	$(BUILD)/bench/bench_wire
	$(BUILD)/bench/bench_intake
	$(PYTHON) bench/bench_sim.py $(BUILD)/sim/meshbeat-sim 64 256 1000s
	$(PYTHON) bench/bench_sim_raid.py $(BUILD)/sim/meshbeat-sim 1000:1000s
	$(PYTHON) bench/bench_bridge.py $(BUILD)/src/cli/meshbeat 16 5

fuzz: deps
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DMESHBEAT_FUZZ=ON \
	  -DMESHBEAT_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	cd $(BUILD_FUZZ) && ctest --output-on-failure -j $(JOBS) -R '^fuzz_'

docs: build
	$(PYTHON) scripts/gen_wire_examples.py $(BUILD)/src/cli/meshbeat docs/wire-format.md

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
