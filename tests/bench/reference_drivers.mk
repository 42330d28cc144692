# The two public Cluster API drivers beside ours in one benchmark
# (`make bench-reference`, part of `make bench`): magnum-capi-helm and
# vexxhost's magnum-cluster-api, installed with Magnum 2026.2 into a venv
# pinned by that release's constraints
# (tests/support/magnum_releases/requirements/2026.2-reference.txt), run by
# tests/bench/reference_bench.py against the real kube-apiserver of the
# tests. Included by the top-level Makefile after venvs.mk and tools.mk.

REFERENCE_VENV := $(call release_venv,2026.2,2026.2-reference)
$(eval $(call release_venv_rule,2026.2,2026.2-reference))

# What `make bench` runs besides its own benchmarks.
BENCH_EXTRA += bench-reference

.PHONY: reference-venv bench-reference
reference-venv: $(REFERENCE_VENV)/.installed

# REFERENCE_CLUSTERS seeded clusters, REFERENCE_ROUNDS ticks per driver
# (about half an hour on a busy 2-core machine).
REFERENCE_CLUSTERS ?= 1000
REFERENCE_ROUNDS ?= 1
bench-reference: build kube-tools reference-venv
	CAPI_BRIDGE_BUILD_DIR=$(abspath $(BUILD_DIR)) CAPI_BRIDGE_HELM=$(HELM) \
	  CAPI_BRIDGE_KUBE=real-v1beta1 CAPI_BRIDGE_KUBE_APISERVER=$(KUBE_APISERVER) \
	  CAPI_BRIDGE_ETCD=$(ETCD_BINARY) CAPI_BRIDGE_KUBE_CRDS_V1BETA1=$(KUBE_CRDS_V1BETA1) \
	  $(REFERENCE_VENV)/bin/python tests/bench/reference_bench.py \
	  --clusters $(REFERENCE_CLUSTERS) --rounds $(REFERENCE_ROUNDS)
