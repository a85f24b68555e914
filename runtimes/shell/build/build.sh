#!/usr/bin/env bash
# Builds runtimes/shell/wasm/busybox.wasm: busybox 1.35 (Debian's source package)
# compiled to wasm32-wasi with clang 19, fork emulated with Binaryen Asyncify.
#
#   npm run build:busybox            # or: bash runtimes/shell/build/build.sh
#
# Environment: JOBS (make -j, default 2), SANDFLOW_CACHE (default <repo>/.cache/busybox).
# Inputs, all in this folder: busybox.config (config fragment), busybox-wasi.patch,
# compat/ (C sources and headers for what wasi-libc lacks).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CACHE=${SANDFLOW_CACHE:-$ROOT/.cache/busybox}
OUT=$ROOT/runtimes/shell/wasm
JOBS=${JOBS:-2}
BB_VERSION=1.35.0
DEB_VERSION=1:1.35.0-4+deb12u1      # Debian 12 (bookworm) source package version
LLVM=19
STACK_SIZE=524288                   # wasm shadow stack (bytes); copied on every fork
ASYNCIFY_BUF=131072                 # Asyncify save area (bytes); bounds unwind depth

say() { printf '[build:busybox] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- prerequisites -------------------------------------------------------
missing=()
for tool in clang-$LLVM wasm-ld-$LLVM llvm-ar-$LLVM llvm-nm-$LLVM make gcc patch sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=("wasi-libc")
ls /usr/lib/llvm-$LLVM/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 ||
  missing+=("libclang-rt-$LLVM-dev-wasm32")
if [ ${#missing[@]} -gt 0 ]; then
  die "missing: ${missing[*]}
  install with:  apt-get update && apt-get install -y clang-$LLVM lld-$LLVM llvm-$LLVM \\
                   libclang-rt-$LLVM-dev-wasm32 wasi-libc make gcc patch dpkg-dev"
fi
WASM_OPT=$ROOT/node_modules/.bin/wasm-opt
[ -x "$WASM_OPT" ] || die "node_modules/.bin/wasm-opt not found: run npm ci (binaryen is a devDependency)"

# ---- busybox source from Debian's source package --------------------------
SRC=$CACHE/src/busybox-$BB_VERSION
if [ ! -f "$SRC/.sandflow-source-ok" ]; then
  command -v dpkg-source >/dev/null 2>&1 || die "dpkg-source missing: apt-get install -y dpkg-dev"
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    die "no deb-src entry for apt. As root, run:
  sed 's/^Types: deb\$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/debian-src.sources
  apt-get update"
  fi
  say "fetching Debian source package busybox=$DEB_VERSION"
  rm -rf "$CACHE/src" && mkdir -p "$CACHE/src"
  (cd "$CACHE/src" && apt-get source -q "busybox=$DEB_VERSION" >/dev/null) ||
    die "apt-get source busybox=$DEB_VERSION failed (run apt-get update?)"
  [ -d "$SRC" ] || die "unexpected source layout under $CACHE/src"
  touch "$SRC/.sandflow-source-ok"
fi

# Reproducible: kconfig stamps include/autoconf.h (and "busybox --help") with this date.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -STimestamp 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH

# ---- configure ------------------------------------------------------------
B=$CACHE/build
say "preparing $B"
rm -rf "$B" && mkdir -p "$B/bin" "$B/sysroot/include" "$B/sysroot/lib"
ln -s /usr/include/wasm32-wasi "$B/sysroot/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$B/sysroot/lib/wasm32-wasi"
# busybox's partial links ("ld -nostdlib -r") go to wasm-ld, which has no -nostdlib
cat > "$B/bin/wasm-ld-r" <<EOF
#!/usr/bin/env bash
args=(); for a in "\$@"; do [ "\$a" = -nostdlib ] || args+=("\$a"); done
exec wasm-ld-$LLVM "\${args[@]}"
EOF
chmod +x "$B/bin/wasm-ld-r"
cp -a "$SRC" "$B/bb"
(cd "$B/bb" && patch -p1 -s < "$HERE/busybox-wasi.patch")

apply_fragment() { # apply CONFIG_X=v lines (=n switches off) to .config
  local line key val
  while IFS= read -r line; do
    [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}; val=${BASH_REMATCH[2]}
    sed -i -E "/^(# )?$key( is not set|=.*)\$/d" .config
    if [ "$val" = n ]; then echo "# $key is not set" >> .config; else echo "$key=$val" >> .config; fi
  done < "$1"
}
(
  cd "$B/bb"
  make allnoconfig >/dev/null
  for _ in 1 2 3; do # options appear once their dependencies are on
    apply_fragment "$HERE/busybox.config"
    { yes "" || true; } | make oldconfig >/dev/null 2>&1
  done
  # every requested option must have survived oldconfig
  bad=0
  while IFS= read -r line; do
    [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}; val=${BASH_REMATCH[2]}
    if [ "$val" = n ]; then grep -qx "$key=y" .config && { say "not off: $key"; bad=1; }
    else grep -qxF "$key=$val" .config || { say "not set: $key=$val"; bad=1; }; fi
  done < "$HERE/busybox.config"
  [ $bad = 0 ] || die "config fragment did not apply"
)

# ---- compile ----------------------------------------------------------------
CC="clang-$LLVM --target=wasm32-wasi --sysroot=$B/sysroot"
SJLJ="-mllvm -enable-emscripten-sjlj"
COMPAT="-I$HERE/compat/include -include $HERE/compat/compat.h"
CFLAGS_COMMON="-std=gnu11 $COMPAT -Wno-ignored-optimization-argument -Wno-unused-command-line-argument \
  -Wno-unknown-warning-option -Wno-format-security -ffile-prefix-map=$B=. -ffile-prefix-map=$HERE=compat"
say "compiling busybox (make -j$JOBS)"
(
  cd "$B/bb"
  # the final busybox link (scripts/trylink) fails: wasm-ld has no --start-group. We link below.
  make -k -j"$JOBS" HOSTCC=gcc CC="$CC" LD="$B/bin/wasm-ld-r" AR=llvm-ar-$LLVM NM=llvm-nm-$LLVM \
    STRIP=llvm-strip-$LLVM OBJCOPY=llvm-objcopy-$LLVM OBJDUMP=llvm-objdump-$LLVM SKIP_STRIP=y \
    KBUILD_BUILD_TIMESTAMP="Sun Dec 26 00:00:00 UTC 2021" KBUILD_BUILD_USER=sandflow KBUILD_BUILD_HOST=sandflow \
    EXTRA_CFLAGS="$CFLAGS_COMMON $SJLJ" > "$B/make.log" 2>&1 || true
)
objs=$(cd "$B/bb" && ls applets/built-in.o */lib.a */*/lib.a */built-in.o */*/built-in.o 2>/dev/null | sort -u)
[ -f "$B/bb/shell/built-in.o" ] || { tail -40 "$B/make.log" >&2; die "busybox objects missing, see $B/make.log"; }
for c in compat-proc compat-sys compat-sjlj; do
  $CC $SJLJ -Os $CFLAGS_COMMON -D_GNU_SOURCE -DSANDFLOW_ASYNCIFY_BUF=$ASYNCIFY_BUF \
    -c "$HERE/compat/$c.c" -o "$B/$c.o"
done

# ---- link -------------------------------------------------------------------
say "linking"
WRAPS="fcntl uname stat lstat fstat fstatat access faccessat sbrk utimensat futimens chdir"
(
  cd "$B/bb"
  # shellcheck disable=SC2086
  $CC $SJLJ -o "$B/busybox.pre.wasm" -Wl,--gc-sections -Wl,--stack-first -Wl,-z,stack-size=$STACK_SIZE \
    $(for w in $WRAPS; do printf -- '-Wl,--wrap=%s ' "$w"; done) \
    -Wl,--export=__stack_pointer -Wl,--export=sandflow_asyncify_area -Wl,--export-table \
    $objs "$B/compat-proc.o" "$B/compat-sys.o" "$B/compat-sjlj.o" \
    -lwasi-emulated-signal -lwasi-emulated-mman -lwasi-emulated-process-clocks -lm 2> "$B/link.log" ||
    { cat "$B/link.log" >&2; die "link failed"; }
)

# ---- host interface -----------------------------------------------------------
# stack depth reporting, stack pointer and table imported (see host-interface.mjs)
say "host interface (host-interface.mjs)"
"$ROOT/node_modules/.bin/node" "$HERE/host-interface.mjs" "$B/busybox.pre.wasm" "$B/busybox.watched.wasm"

# ---- Asyncify ---------------------------------------------------------------
say "asyncify + optimise (wasm-opt)"
ASYNC_IMPORTS="bbhost.fork,bbhost.waitpid,bbhost.sigsuspend,bbhost.tick,env.invoke_*"
ASYNC_IMPORTS+=",wasi_snapshot_preview1.fd_read,wasi_snapshot_preview1.fd_write,wasi_snapshot_preview1.poll_oneoff"
"$WASM_OPT" "$B/busybox.watched.wasm" --asyncify --pass-arg=asyncify-imports@"$ASYNC_IMPORTS" -O2 \
  --strip-debug --strip-producers -o "$B/busybox.wasm"

mkdir -p "$OUT"
cp "$B/busybox.wasm" "$OUT/busybox.wasm"
(cd "$OUT" && sha256sum busybox.wasm > busybox.wasm.sha256)
applets=$("$B/bb/busybox" --list 2>/dev/null || true)
[ -n "$applets" ] || applets=$(sed -n 's/^IF_[A-Z0-9_]*(APPLET[A-Z_]*(\([a-z0-9_.[]*\),.*/\1/p' "$B/bb/include/applet_tables.h" 2>/dev/null || true)
cat > "$OUT/busybox.json" <<EOF
{
  "busybox": "$BB_VERSION",
  "debianSourcePackage": "busybox",
  "debianSourceVersion": "$DEB_VERSION",
  "license": "GPL-2.0-only",
  "toolchain": "clang-$LLVM $(clang-$LLVM --version | head -1 | sed 's/.*version \([^ ]*\).*/\1/'), wasi-libc $(dpkg-query -W -f '${Version}' wasi-libc 2>/dev/null || echo unknown), binaryen $("$WASM_OPT" --version | sed 's/.*version \([0-9]*\).*/\1/')",
  "stackBytes": $STACK_SIZE,
  "asyncifyBytes": $ASYNCIFY_BUF,
  "sha256": "$(cut -d' ' -f1 "$OUT/busybox.wasm.sha256")"
}
EOF
say "wrote $OUT/busybox.wasm ($(stat -c %s "$OUT/busybox.wasm") bytes)"
