#!/usr/bin/env bash
# The test command: sets up a fresh machine if needed, checks formatting, builds everything
# with the shared release profile (dependencies optimised once for tests, devnet and
# benchmarks), runs clippy with warnings as errors, the contract checks, then every test.
# Extra arguments go to the test binaries (a name filter, `--nocapture`, ...).
#
# It prints how long each phase took, and each test binary, so that a change that slows CI
# shows itself (benchmarks/README.md, "CI", has the figures to compare with).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

phases=()
started=$SECONDS
summary() {
  local rc=$?
  echo
  echo "== test.sh phases (seconds) =="
  for p in "${phases[@]}"; do echo "  $p"; done
  echo "  total $((SECONDS - started))"
  if [ -n "${binaries_log:-}" ] && [ -s "$binaries_log" ]; then
    echo "== test binaries (seconds, slowest first) =="
    sort -k2 -n -r "$binaries_log" | awk '{ printf "  %-40s %8.1f  (%s tests)\n", $1, $2, $3 }'
  fi
  exit "$rc"
}
trap summary EXIT

# `phase NAME COMMAND...` runs COMMAND and records how long it took (failed or not).
phase() {
  local name=$1 t0=$SECONDS rc=0
  shift
  "$@" || rc=$?
  local failed=""
  if ((rc)); then failed="  (failed: exit $rc)"; fi
  phases+=("$(printf '%-8s %6d%s' "$name" $((SECONDS - t0)) "$failed")")
  return "$rc"
}

phase setup ./scripts/setup.sh
# Outside the clone so repeated runs on one machine reuse the dependency build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire/target}"
export QUIRE_TOOLS_DIR="${QUIRE_TOOLS_DIR:-$root/.quire/tools}"
phase fmt cargo fmt --all -- --check
# One build of the binary and every test target: one feature resolution (dev-dependencies
# included), so `cargo test` below compiles nothing again. The crash tests run the real
# `quire` binary as a separate process.
phase build cargo build --release --workspace --bin quire --tests
# Same profile as the build, so dependencies' build scripts (RocksDB's C++) run once.
phase clippy cargo clippy --release --workspace --all-targets -- -D warnings
# The contracts: the committed bytecode is what the committed source compiles to, and the
# forge tests pass on the committed fixtures (real final proofs).
contracts() {
  (cd contracts && ./build.sh > /dev/null && git diff --exit-code artifacts/ \
    && "$QUIRE_TOOLS_DIR/node_modules/.bin/forge" test)
}
phase forge contracts

# Each test binary's wall time, read off cargo's "Running" lines and libtest's summaries.
binaries_log="$(mktemp)"
time_binaries() {
  awk -v out="$binaries_log" '
    { print; fflush() }
    /^ *Running / {
      src = $(NF - 1); bin = $NF; gsub(/[()]/, "", bin); sub(/^.*\//, "", bin); sub(/-[0-9a-f]+$/, "", bin)
      name = bin "(" src ")"
    }
    /^test result: / && name != "" {
      secs = $NF; sub(/s$/, "", secs)
      passed = $4
      printf "%s %s %s\n", name, secs, passed >> out; close(out); name = ""
    }'
}
tests() {
  cargo test --release --workspace --tests --no-fail-fast -- "$@" 2>&1 | time_binaries
}
phase tests tests "$@"
