#!/usr/bin/env bash
# make demo: start the bridge on loopback with the example config, render the
# example cluster through the CLI, print the values, stop the bridge.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
server="$build/server/capi-bridge-server"
cli="$build/client/capi-bridge"
export CAPI_BRIDGE_INSECURE=1  # the example config serves plaintext on loopback

log=$(mktemp)
"$server" --config client/examples/bridge.yaml --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

address=""
for _ in $(seq 1 100); do
  address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log")
  [ -n "$address" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$address" ] || { echo "the bridge did not start" >&2; cat "$log" >&2; exit 1; }

echo "== capi-bridge-server is up at $address"
"$cli" --address "$address" health
echo
echo "== capi-bridge render --spec client/examples/cluster.yaml"
"$cli" --address "$address" render --spec client/examples/cluster.yaml
echo
echo "== the same cluster for chart 0.23.0 (allowedCIDRs is spelt allowedCidrs there)"
"$cli" --address "$address" render --spec client/examples/cluster.yaml \
  --chart-version 0.23.0 -o json 2>/dev/null | grep -A3 '"allowedCidrs"'
echo
echo "== a spec with mistakes: every problem is reported at once"
sed -e 's|api_master_lb_allowed_cidrs: .*|api_master_lb_allowed_cidrs: 10.0.0.0/33|' \
    -e 's|    capi_helm_chart_version: 0.27.0|    capi_helm_chart_version: 0.27.0\n    monitoring_enabled: perhaps|' \
    client/examples/cluster.yaml |
  "$cli" --address "$address" render --spec - || true

echo
echo "== the lifecycle, end to end, against the management-cluster simulator"
work=$(mktemp -d)
kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
helm="${HELM:-$PWD/.tools/bin/helm}"
mkdir -p "$work/charts"
"$helm" package tests/support/charts/openstack-cluster --version 0.27.0 \
  -d "$work/charts" >/dev/null
"$helm" repo index "$work/charts"
/usr/bin/python3 -m tests.support.kube_sim --workdir "$work" \
  --step-seconds 1 --chart-dir "$work/charts" >"$work/sim.log" 2>&1 &
sim=$!
trap 'kill "$pid" "$sim" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$log" "$work"' EXIT
for _ in $(seq 1 100); do grep -q "kube-sim ready" "$work/sim.log" && break; sleep 0.1; done
charts=$(sed -n 's/.* charts=\([^ ]*\).*/\1/p' "$work/sim.log")
echo "simulator: $(sed -n 's/.* url=\([^ ]*\).*/\1/p' "$work/sim.log") (charts at $charts)"
cat >"$work/bridge.yaml" <<CONFIG
listen: 127.0.0.1:0
insecure: true
chart:
  repo: $charts
management:
  kubeconfig: $work/kubeconfig
  deletion_poll_seconds: 1
helm:
  binary: $helm
  cache_dir: $work/cache
CONFIG
"$server" --config "$work/bridge.yaml" >"$log" 2>&1 &
pid=$!
address=""
for _ in $(seq 1 100); do
  address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log")
  [ -n "$address" ] && break
  sleep 0.1
done
grep -E 'msg="management cluster"|msg=serving' "$log"
sed 's/^  stack_id: .*$/  stack_id: ""/' client/examples/cluster.yaml >"$work/spec.yaml"
cat >"$work/credential.yaml" <<CRED
application_credential_id: 0d1e2f3a4b5c
application_credential_secret: demo-secret-not-shown
CRED
echo
echo "== capi-bridge create --spec cluster.yaml --credential credential.yaml"
out=$("$cli" --address "$address" create --spec "$work/spec.yaml" \
  --credential "$work/credential.yaml" 2>/dev/null)
echo "$out"
release=$(echo "$out" | sed -n 's/.*release \([^ ]*\) in namespace \([^ ,]*\).*/\1/p')
namespace=$(echo "$out" | sed -n 's/.*release \([^ ]*\) in namespace \([^ ,]*\).*/\2/p')
echo
echo "== capi-bridge watch --current CREATE_IN_PROGRESS (live progress; exits 0 when complete)"
"$cli" --address "$address" watch --spec "$work/spec.yaml" --stack-id "$release" \
  --current CREATE_IN_PROGRESS
echo
echo "== capi-bridge status"
"$cli" --address "$address" status --spec "$work/spec.yaml" --stack-id "$release" \
  --current CREATE_COMPLETE
echo
echo "== the same create again (idempotent; helm is skipped)"
"$cli" --address "$address" create --spec "$work/spec.yaml" \
  --credential "$work/credential.yaml" 2>/dev/null
echo
echo "== capi-bridge resize --node-group default-worker --node-count 4"
"$cli" --address "$address" resize --spec "$work/spec.yaml" --stack-id "$release" \
  --node-group default-worker --node-count 4
# Magnum now holds 4 for the group; the status is evaluated against that.
awk '/name: default-worker/{w=1} w && /node_count:/{sub(/[0-9]+/, "4"); w=0} {print}' \
  "$work/spec.yaml" >"$work/spec4.yaml"
"$cli" --address "$address" watch --spec "$work/spec4.yaml" --stack-id "$release" \
  --current UPDATE_IN_PROGRESS
echo
echo "== capi-bridge upgrade --kube-version v1.36.0 (two minor versions: refused)"
"$cli" --address "$address" upgrade --spec "$work/spec.yaml" --stack-id "$release" \
  --kube-version v1.36.0 --node-count-of default-worker=4 2>&1 || true
echo
echo "== capi-bridge delete"
"$cli" --address "$address" delete --spec "$work/spec.yaml" --stack-id "$release"
"$cli" --address "$address" watch --spec "$work/spec4.yaml" --stack-id "$release" \
  --current DELETE_IN_PROGRESS
echo
echo "== the bridge's log of the create (logfmt; one request id per verb, no secret)"
grep -m 6 'verb=CreateCluster' "$log" || true
