#!/usr/bin/env bash
# Builds workflows/wasi/wordcount.wasm from wordcount.c: a WASI command module
# (wasm32-wasi, wasi-libc), for the wasm step of workflows/wasi/wordcount.yaml.
#
#   bash workflows/wasi/build.sh
#
# Needs Debian's clang-19, lld-19, wasi-libc and libclang-rt-19-dev-wasm32.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LLVM=${LLVM:-19}
for tool in clang-$LLVM wasm-ld-$LLVM; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "missing $tool: apt-get install clang-$LLVM lld-$LLVM wasi-libc libclang-rt-$LLVM-dev-wasm32" >&2
    exit 1
  }
done
SYSROOT=$(mktemp -d)
trap 'rm -rf "$SYSROOT"' EXIT
mkdir -p "$SYSROOT/include" "$SYSROOT/lib"
ln -s /usr/include/wasm32-wasi "$SYSROOT/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$SYSROOT/lib/wasm32-wasi"
# wasm-ld is found by clang as `wasm-ld`; point it at the versioned one.
mkdir -p "$SYSROOT/bin" && ln -s "$(command -v wasm-ld-$LLVM)" "$SYSROOT/bin/wasm-ld"
PATH="$SYSROOT/bin:$PATH" clang-$LLVM --target=wasm32-wasi --sysroot="$SYSROOT" -Os -Wall -Werror -Wl,--strip-all \
  -o "$HERE/wordcount.wasm" "$HERE/wordcount.c"
echo "built $HERE/wordcount.wasm ($(wc -c < "$HERE/wordcount.wasm") bytes)"
