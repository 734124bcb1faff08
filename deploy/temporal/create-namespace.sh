#!/bin/sh
# certflow's namespace and search attributes: run by compose's setup job
# (temporalio/admin-tools) and by the native cluster (tools/engine/cluster.ts). Idempotent.
# The search attributes must equal src/workflows/search-attributes.ts (test/unit/topology.test.ts).
#   TEMPORAL_ADDRESS, NAMESPACE (default "default"), RETENTION (default 72h)
set -eu
ns="${NAMESPACE:-default}"

if ! temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$ns" --retention "${RETENTION:-72h}"
fi

# One attribute per command: an existing one is kept, a new one is added. A new namespace
# reaches the frontend's cache a few seconds after it is created: retry until then.
search_attribute() {
  tries=0
  until out=$(temporal operator search-attribute create --namespace "$ns" --type "$1" --name "$2" 2>&1) || echo "$out" | grep -qi "already"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then echo "$out" >&2; exit 1; fi
    sleep 1
  done
}
search_attribute Keyword OrderStatus
search_attribute Keyword BillingOrderId
search_attribute KeywordList CaOrderId
search_attribute Keyword CommonName
search_attribute Keyword ProductId
search_attribute Datetime NotAfter
echo "namespace $ns with certflow's search attributes"
