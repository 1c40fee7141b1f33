#!/usr/bin/env bash
# Compiles the contracts with forge (solc from npm, see ./solc) and refreshes the committed
# creation bytecode of the Verifier and the Rollup (artifacts/*.bin) that the node deploys,
# and the Bridge's ABI with its creation bytecode (artifacts/Bridge.json), from which alloy's
# `sol!` generates the Rust bindings.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
forge="${QUIRE_TOOLS_DIR:-$here/../.quire/tools}/node_modules/.bin/forge"
"$forge" build --skip test --skip script
for c in Verifier Rollup; do
  node -e "process.stdout.write(require('./out/$c.sol/$c.json').bytecode.object + '\\n')" > "artifacts/$c.bin"
  echo "artifacts/$c.bin: $(($(wc -c < "artifacts/$c.bin") / 2)) bytes of creation code"
done
node -e "const a = require('./out/Bridge.sol/Bridge.json');
process.stdout.write(JSON.stringify({ abi: a.abi, bytecode: a.bytecode.object }, null, 1) + '\\n')" \
  > artifacts/Bridge.json
echo "artifacts/Bridge.json: ABI and $(node -e "process.stdout.write(String((require('./artifacts/Bridge.json').bytecode.length - 2) / 2))") bytes of creation code"
