#!/usr/bin/env bash
# Compiles the contracts with forge (solc from npm, see ./solc) and refreshes the committed
# creation bytecode of the Verifier (artifacts/Verifier.bin) that the node deploys.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
forge="${QUIRE_TOOLS_DIR:-$here/../.quire/tools}/node_modules/.bin/forge"
"$forge" build --skip test --skip script
node -e 'process.stdout.write(require("./out/Verifier.sol/Verifier.json").bytecode.object + "\n")' > artifacts/Verifier.bin
echo "artifacts/Verifier.bin: $(($(wc -c < artifacts/Verifier.bin) / 2)) bytes of creation code"
