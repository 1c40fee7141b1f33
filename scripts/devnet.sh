#!/usr/bin/env bash
# Runs the whole local stack: anvil as L1 and a quire node with prefunded accounts.
# Ctrl-C stops everything. Extra arguments go to `quire devnet` (try --help, --reset).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire/target}"
cargo build --release -p quire-node --bin quire
exec "$CARGO_TARGET_DIR/release/quire" devnet --dir "$root/.quire" "$@"
