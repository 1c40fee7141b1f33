#!/usr/bin/env bash
# Block-production figures: starts a fresh devnet without in-process provers (provers
# belong on other machines; the node then only sequences), runs `quire-load` N times
# against the same chain (seeds 1..N), prints each run's JSON and the medians, and stops
# the devnet. Extra arguments go to every `quire-load` run (e.g. --rate 8000).
#
#   RUNS=5 ./benchmarks/load-runs.sh                      # maximum throughput
#   RUNS=3 ./benchmarks/load-runs.sh --rate 8000          # latency below saturation
#   NODE_CPUS=0-7 LOAD_CPUS=8-15 ./benchmarks/load-runs.sh  # pin node and load (taskset)
#   PROFILE=1 ./benchmarks/load-runs.sh                   # perf record of the node, by thread
#   MODE=node ./benchmarks/load-runs.sh                   # the sequencer alone: `quire node`
#                                                         # without L1 (no settlement, no deposits)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BIN_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/quire/target}/release}"
runs="${RUNS:-5}"
dir="$(mktemp -d /tmp/quire-load.XXXXXX)"
export QUIRE_TOOLS_DIR="${QUIRE_TOOLS_DIR:-$root/.quire/tools}"
pin() { if [ -n "${1:-}" ]; then echo taskset -c "$1"; fi; }

if [ "${MODE:-devnet}" = node ]; then
  # Devnet account (0) funds the senders, as in the devnet.
  cat > "$dir/quire.toml" <<EOF
data_dir = "$dir/node"
[genesis]
chain_id = 271828
base_fee = 1000000000
block_gas_limit = 30000000
alloc = [{ address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", balance = "10000000000000000000000" }]
[production]
fee_recipient = "0x00000000000000000000000000000000000000fe"
[rpc]
addr = "127.0.0.1:8647"
[metrics]
addr = "127.0.0.1:9647"
[proving]
workers = 0
[aggregation]
enabled = false
EOF
  # shellcheck disable=SC2046
  $(pin "${NODE_CPUS:-}") "$bin/quire" node --config "$dir/quire.toml" > "$dir/devnet.log" 2>&1 &
  match="$bin/quire node --config $dir"
else
  # shellcheck disable=SC2046
  QUIRE_PROVER_WORKERS=0 $(pin "${NODE_CPUS:-}") "$bin/quire" devnet --dir "$dir" --reset \
    --l1-port "${L1_PORT:-8645}" --http-addr 127.0.0.1:8647 --metrics-addr 127.0.0.1:9647 \
    > "$dir/devnet.log" 2>&1 &
  match="$bin/quire devnet --dir $dir"
fi
devnet=$!
trap 'kill $devnet 2>/dev/null; wait $devnet 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  curl -s -o /dev/null -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' http://127.0.0.1:8647 && break
  sleep 1
done
# Start-up work (the L1 deployments, the KZG trusted setup's ~4 s load) is over first.
sleep "${SETTLE_SECS:-8}"
node_pid="$(pgrep -f "$match" | head -1)"
if [ "${PROFILE:-0}" = 1 ]; then
  perf record -F 499 -g -p "$node_pid" -o "$dir/perf.data" > /dev/null 2>&1 &
  perf_pid=$!
fi

results=()
for seed in $(seq 1 "$runs"); do
  # shellcheck disable=SC2046
  out="$($(pin "${LOAD_CPUS:-}") "$bin/quire-load" --rpc http://127.0.0.1:8647 \
    --senders 1000 --txs-per-sender 40 --seed "$seed" "$@" 2>/dev/null)"
  echo "$out"
  results+=("$out")
done
if [ "${PROFILE:-0}" = 1 ]; then
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  cp "$dir/perf.data" /tmp/quire-load-perf.data
  cp "$dir/devnet.log" /tmp/quire-load-devnet.log
  perf report -i "$dir/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20
  perf report -i "$dir/perf.data" --no-children --sort comm,dso,sym --stdio 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | grep '%' | head -60 > "${PROFILE_OUT:-/tmp/quire-load-profile.txt}"
  echo "symbols: ${PROFILE_OUT:-/tmp/quire-load-profile.txt}"
fi
printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
keys = ["accepted_tps", "included_tps", "latency_p50_ms", "latency_p99_ms"]
print("median of", len(rows), {k: round(statistics.median(r[k] for r in rows), 1) for k in keys if k in rows[0]})
'
