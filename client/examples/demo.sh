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
