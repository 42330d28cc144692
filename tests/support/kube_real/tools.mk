# A real kube-apiserver (and etcd) for the integration tests, with the CRDs
# of Cluster API and CAPO, built once per machine into $(CACHE_ROOT)/kube,
# outside build/ (included by the top-level Makefile).
#
# kube-apiserver is built from the k8s.io/kubernetes Go module in the
# throwaway module tests/support/kube_real/apiserver (its go.mod pins each
# staging module to the published release; its go.sum pins every sum); the
# binary's directory is keyed by a hash of that go.mod and go.sum. The CRDs
# are copied from the Cluster API and CAPO Go modules at the versions and
# sums below. etcd is Debian's etcd-server. Cluster API's managers (for
# real v1beta1 <-> v1beta2 conversion) are built like kube-apiserver. A warm
# run does nothing.

KUBE_DIR := $(CACHE_ROOT)/kube
KUBE_MODULE := $(CURDIR)/tests/support/kube_real/apiserver
KUBE_BUILD := $(CURDIR)/tests/support/kube_real/build_tools.sh
KUBE_VERSION := v1.34.4
KUBE_MODULE_KEY := $(shell cat $(KUBE_MODULE)/go.mod $(KUBE_MODULE)/go.sum 2>/dev/null | sha256sum | cut -c1-12)
KUBE_APISERVER := $(KUBE_DIR)/kube-apiserver-$(KUBE_VERSION)-$(KUBE_MODULE_KEY)/kube-apiserver
ETCD_BINARY := /usr/bin/etcd
# Cluster API's managers (core, kubeadm control plane, kubeadm bootstrap)
# for the v1beta2 generation's conversion webhooks, built from the
# cluster-api Go module in the throwaway module tests/support/kube_real/capi.
CAPI_MODULE := $(CURDIR)/tests/support/kube_real/capi
CAPI_MODULE_KEY := $(shell cat $(CAPI_MODULE)/go.mod $(CAPI_MODULE)/go.sum 2>/dev/null | sha256sum | cut -c1-12)
CAPI_MANAGERS := $(KUBE_DIR)/capi-managers-$(CAPI_MODULE_KEY)

# A Go toolchain >= 1.21: the one on PATH, else /usr/local/go's. Set KUBE_GO
# to choose another.
KUBE_GO ?= $(firstword $(shell command -v go 2>/dev/null) $(wildcard /usr/local/go/bin/go) go)

# Cluster API v1.10 (v1beta1 stored and served) with CAPO v0.13, and Cluster
# API v1.13 (v1beta2 stored, v1beta1 served) with CAPO v0.14.
CAPI_V1BETA1_VERSION := v1.10.10
CAPI_V1BETA1_SUM := h1:GF9B04puY1IrK9l8nc7xZaDITvKEkPtFAzccfgN4Gp0=
CAPO_V1BETA1_VERSION := v0.13.0
CAPO_V1BETA1_SUM := h1:iZN/qJhDZas74Mo/zM1tz038niv68e1g5wYCQJ5yczo=
CAPI_V1BETA2_VERSION := v1.13.6
CAPI_V1BETA2_SUM := h1:imZVIstbRIq2DoKftQv0wPm+vyhWXrE3Zft8E43maqo=
CAPO_V1BETA2_VERSION := v0.14.2
CAPO_V1BETA2_SUM := h1:NMgU0ngsJLYd5JB0gcIfd2Rk34be5+SjEzrv4aNMso0=
# KUBE_CRDS_LAYOUT names what build_tools.sh copies: bump it when that changes.
KUBE_CRDS_LAYOUT := 3
KUBE_CRDS_V1BETA1 := $(KUBE_DIR)/crds/$(KUBE_CRDS_LAYOUT)-capi-$(CAPI_V1BETA1_VERSION)-capo-$(CAPO_V1BETA1_VERSION)
KUBE_CRDS_V1BETA2 := $(KUBE_DIR)/crds/$(KUBE_CRDS_LAYOUT)-capi-$(CAPI_V1BETA2_VERSION)-capo-$(CAPO_V1BETA2_VERSION)

TEST_PREREQS += kube-tools
CMAKE_EXTRA_ARGS += -DKUBE_APISERVER=$(KUBE_APISERVER) -DETCD_BINARY=$(ETCD_BINARY) \
  -DKUBE_CRDS_V1BETA1=$(KUBE_CRDS_V1BETA1) -DKUBE_CRDS_V1BETA2=$(KUBE_CRDS_V1BETA2) \
  -DCAPI_MANAGERS_DIR=$(CAPI_MANAGERS)

.PHONY: kube-tools
kube-tools: $(KUBE_APISERVER) $(ETCD_BINARY) $(KUBE_CRDS_V1BETA1)/VERSIONS \
  $(KUBE_CRDS_V1BETA2)/VERSIONS $(CAPI_MANAGERS)/capi-manager

$(ETCD_BINARY):
	@echo "installing Debian package etcd-server"
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server
	@# The package starts a system etcd where systemd runs; the tests start their own.
	@-$(SUDO) systemctl disable --now etcd >/dev/null 2>&1

$(KUBE_APISERVER):
	@bash $(KUBE_BUILD) apiserver "$(KUBE_GO)" $(KUBE_MODULE) $@ $(KUBE_VERSION)

$(KUBE_CRDS_V1BETA1)/VERSIONS:
	@bash $(KUBE_BUILD) crds "$(KUBE_GO)" $(KUBE_CRDS_V1BETA1) $(CAPI_V1BETA1_VERSION) \
	  $(CAPI_V1BETA1_SUM) $(CAPO_V1BETA1_VERSION) $(CAPO_V1BETA1_SUM)

$(KUBE_CRDS_V1BETA2)/VERSIONS:
	@bash $(KUBE_BUILD) crds "$(KUBE_GO)" $(KUBE_CRDS_V1BETA2) $(CAPI_V1BETA2_VERSION) \
	  $(CAPI_V1BETA2_SUM) $(CAPO_V1BETA2_VERSION) $(CAPO_V1BETA2_SUM)

$(CAPI_MANAGERS)/capi-manager:
	@bash $(KUBE_BUILD) managers "$(KUBE_GO)" $(CAPI_MODULE) $(CAPI_MANAGERS)
