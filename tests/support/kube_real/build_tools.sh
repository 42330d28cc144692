#!/bin/bash
# Builds what the real-API-server tests need, into a cache outside build/
# (called by tools.mk; each step writes to a temporary path and renames it
# into place, so an interrupted run leaves nothing that looks finished).
#
#   build_tools.sh apiserver GO MODULE_DIR OUT_BINARY KUBE_VERSION
#   build_tools.sh crds GO OUT_DIR CAPI_VERSION CAPI_SUM CAPO_VERSION CAPO_SUM
#   build_tools.sh managers GO MODULE_DIR OUT_DIR
set -euo pipefail

# Go 1.21 and later fetch the toolchain a module asks for (its `go` line)
# from the Go module proxy themselves; older ones cannot.
check_go() {
  local go=$1 version
  if ! version=$("$go" env GOVERSION 2>/dev/null); then
    echo "kube-tools: no Go toolchain: install Go >= 1.21 (e.g. in" \
         "/usr/local/go) or set KUBE_GO=/path/to/go" >&2
    exit 1
  fi
  case "$version" in
    go1.[0-9] | go1.[0-9].* | go1.1[0-9] | go1.1[0-9].* | go1.20 | go1.20.*)
      echo "kube-tools: $go is $version; Go >= 1.21 is needed (it fetches" \
           "the toolchain the build asks for as a Go module)" >&2
      exit 1 ;;
  esac
}

# The module directory of MODULE@VERSION, its h1: sum checked.
module_dir() {
  local go=$1 module=$2 version=$3 sum=$4 json dir got
  json=$(cd /tmp && GOFLAGS=-mod=mod "$go" mod download -json "$module@$version")
  got=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$json")
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
  if [ "$got" != "$sum" ]; then
    echo "kube-tools: $module@$version has sum '$got', expected $sum" >&2
    exit 1
  fi
  echo "$dir"
}

case "$1" in
  apiserver)
    go=$2 module=$3 out=$4 kube_version=$5
    check_go "$go"
    minor=${kube_version#v1.}; minor=${minor%%.*}
    mkdir -p "$(dirname "$out")"
    echo "kube-tools: building kube-apiserver $kube_version (a few minutes, once)"
    (cd "$module" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" "$go" build -trimpath \
      -ldflags "-s -w \
        -X k8s.io/component-base/version.gitVersion=$kube_version \
        -X k8s.io/component-base/version.gitMajor=1 \
        -X k8s.io/component-base/version.gitMinor=$minor \
        -X k8s.io/component-base/version.gitTreeState=clean \
        -X k8s.io/client-go/pkg/version.gitVersion=$kube_version" \
      -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
    mv "$out.tmp" "$out"
    "$out" --version
    ;;
  crds)
    go=$2 out=$3 capi_version=$4 capi_sum=$5 capo_version=$6 capo_sum=$7
    check_go "$go"
    capi=$(module_dir "$go" sigs.k8s.io/cluster-api "$capi_version" "$capi_sum")
    capo=$(module_dir "$go" sigs.k8s.io/cluster-api-provider-openstack \
      "$capo_version" "$capo_sum")
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    # Cluster API core (every CRD its manager watches), kubeadm bootstrap
    # and control plane; CAPO. Copied unchanged: the test fixture adapts
    # them when it installs them.
    for f in "$capi"/config/crd/bases/*.yaml \
             "$capi"/bootstrap/kubeadm/config/crd/bases/*.yaml \
             "$capi"/controlplane/kubeadm/config/crd/bases/*.yaml \
             "$capo"/config/crd/bases/*.yaml; do
      install -m 0644 "$f" "$out.tmp/"
    done
    # The labels each provider's kustomization puts on its CRDs (the
    # contract labels CAPI's conversion reads), one file per provider.
    install -m 0644 "$capi"/config/crd/kustomization.yaml "$out.tmp/kustomization.capi"
    install -m 0644 "$capi"/bootstrap/kubeadm/config/crd/kustomization.yaml \
      "$out.tmp/kustomization.cabpk"
    install -m 0644 "$capi"/controlplane/kubeadm/config/crd/kustomization.yaml \
      "$out.tmp/kustomization.kcp"
    install -m 0644 "$capo"/config/crd/kustomization.yaml "$out.tmp/kustomization.capo"
    printf 'cluster-api %s %s\ncluster-api-provider-openstack %s %s\n' \
      "$capi_version" "$capi_sum" "$capo_version" "$capo_sum" > "$out.tmp/VERSIONS"
    rm -rf "$out"; mv "$out.tmp" "$out"
    echo "kube-tools: CRDs of cluster-api $capi_version and CAPO $capo_version in $out"
    ;;
  managers)
    go=$2 module=$3 out=$4
    check_go "$go"
    echo "kube-tools: building Cluster API's managers (a few minutes, once)"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    for spec in capi-manager=sigs.k8s.io/cluster-api \
                kcp-manager=sigs.k8s.io/cluster-api/controlplane/kubeadm \
                cabpk-manager=sigs.k8s.io/cluster-api/bootstrap/kubeadm; do
      (cd "$module" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" "$go" build -trimpath \
        -ldflags "-s -w" -o "$out.tmp/${spec%%=*}" "${spec#*=}")
    done
    rm -rf "$out"; mv "$out.tmp" "$out"
    echo "kube-tools: Cluster API's managers in $out"
    ;;
  *)
    echo "usage: $0 apiserver|crds|managers ..." >&2; exit 2 ;;
esac
