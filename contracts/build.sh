#!/usr/bin/env bash
# Compiles the contracts with forge (solc from npm, see ./solc) and refreshes the committed
# creation bytecode of the Verifier (artifacts/Verifier.bin) that the node deploys, and the
# ABI with the creation bytecode of the Rollup and the Bridge (artifacts/{Rollup,Bridge}.json),
# from which alloy's `sol!` generates their Rust bindings.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
forge="${QUIRE_TOOLS_DIR:-$here/../.quire/tools}/node_modules/.bin/forge"
"$forge" build --skip test --skip script
for c in Verifier; do
  node -e "process.stdout.write(require('./out/$c.sol/$c.json').bytecode.object + '\\n')" > "artifacts/$c.bin"
  echo "artifacts/$c.bin: $(($(wc -c < "artifacts/$c.bin") / 2)) bytes of creation code"
done
for c in Rollup Bridge; do
  node -e "const a = require('./out/$c.sol/$c.json');
process.stdout.write(JSON.stringify({ abi: a.abi, bytecode: a.bytecode.object }, null, 1) + '\\n')" \
    > "artifacts/$c.json"
  echo "artifacts/$c.json: ABI and $(node -e "process.stdout.write(String((require('./artifacts/$c.json').bytecode.length - 2) / 2))") bytes of creation code"
done
