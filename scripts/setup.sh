#!/usr/bin/env bash
# Installs what building and testing quire needs on a fresh Debian machine that has only
# the Rust toolchain, Node/npm and apt: libclang (RocksDB's bindings are generated at build
# time), the Foundry tools (anvil, cast, forge) and solc (solcjs) from npm into .quire/tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need_apt=()
if ! ldconfig -p 2>/dev/null | grep -q 'libclang'; then need_apt+=(libclang-dev); fi
if ! command -v clang >/dev/null 2>&1; then need_apt+=(clang); fi
if ((${#need_apt[@]})); then
  echo "setup: installing ${need_apt[*]} (apt)"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

command -v npm >/dev/null 2>&1 || { echo "setup: npm is required (install Node.js)" >&2; exit 1; }
tools="$root/.quire/tools"
foundry_version=1.7.1
missing=()
solc_version=0.8.28
for t in anvil cast forge; do
  [ -x "$tools/node_modules/@foundry-rs/$t-linux-amd64/bin/$t" ] || [ -e "$tools/node_modules/.bin/$t" ] || missing+=("@foundry-rs/$t@$foundry_version")
done
[ -e "$tools/node_modules/.bin/solcjs" ] || missing+=("solc@$solc_version")
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} into $tools (npm)"
  mkdir -p "$tools"
  npm install --no-audit --no-fund --loglevel=error --prefix "$tools" "${missing[@]}"
fi
