#!/usr/bin/env bash
# The test command: sets up a fresh machine if needed, checks formatting, builds everything
# with the shared release profile (dependencies optimised once for tests, devnet and
# benchmarks), runs clippy with warnings as errors, then runs every test. Extra arguments
# go to `cargo test`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup.sh
# Outside the clone so repeated runs on one machine reuse the dependency build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire/target}"
export QUIRE_TOOLS_DIR="${QUIRE_TOOLS_DIR:-$root/.quire/tools}"
cargo fmt --all -- --check
# The crash tests run the real `quire` binary as a separate process.
cargo build --release --workspace --bins
# Same profile as the build, so dependencies' build scripts (RocksDB's C++) run once.
cargo clippy --release --workspace --all-targets -- -D warnings
# The contracts: the committed bytecode is what the committed source compiles to, and the
# forge tests pass on the committed fixtures (real final proofs).
(cd contracts && ./build.sh > /dev/null && git diff --exit-code artifacts/ \
  && "$QUIRE_TOOLS_DIR/node_modules/.bin/forge" test)
cargo test --release --workspace "$@"
