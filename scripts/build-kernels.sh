#!/usr/bin/env bash
# Builds the Rust SIMD micro-kernels (src/codegen/kernels) to WebAssembly and installs the result
# as src/codegen/kernels/kiln_kernels.wasm, the committed artifact that users without Rust load.
#
#   bash scripts/build-kernels.sh           rebuild and overwrite the committed artifact
#   bash scripts/build-kernels.sh --check   rebuild in a temp dir; fail if the bytes differ (CI)
#
# Needs Debian's Rust 1.63 with the wasm32 standard library: run
# `KILN_BUILD_KERNELS=1 bash scripts/setup-system.sh` (or see ../shared/ENVIRONMENT.md).
# Every build is a clean build in a fresh target dir with an empty CARGO_HOME and no RUSTFLAGS
# from the environment, so the bytes depend only on the sources and the pinned compiler.
set -euo pipefail

PINNED_RUSTC="rustc 1.63.0"
root=$(cd "$(dirname "$0")/.." && pwd)
crate="$root/src/codegen/kernels"
artifact="$crate/kiln_kernels.wasm"
rustc_bin=${KILN_RUSTC:-/usr/bin/rustc}
cargo_bin=${KILN_CARGO:-/usr/bin/cargo}

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if [ ! -x "$rustc_bin" ] || [ ! -x "$cargo_bin" ]; then
  echo "build-kernels: $rustc_bin or $cargo_bin not found. Install Debian's Rust for wasm32 with" >&2
  echo "  KILN_BUILD_KERNELS=1 bash scripts/setup-system.sh" >&2
  echo "(rustup's toolchain cannot target wasm32 offline). Without Rust, use the committed $artifact." >&2
  exit 1
fi
sysroot=$("$rustc_bin" --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/wasm32-unknown-unknown" ]; then
  echo "build-kernels: $rustc_bin has no wasm32-unknown-unknown standard library; apt-get install libstd-rust-dev-wasm32" >&2
  exit 1
fi
version=$("$rustc_bin" -V)
if [ "${version#"$PINNED_RUSTC"}" = "$version" ]; then
  msg="build-kernels: the artifact is pinned to $PINNED_RUSTC, found '$version'; its bytes will differ"
  if [ $check -eq 1 ]; then echo "$msg" >&2; exit 1; fi
  echo "warning: $msg" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kernels.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cargo-home"

# cargo reads .cargo/config.toml (target and +simd128) only from the current directory upwards.
cd "$crate"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_BUILD_TARGET \
  -u CARGO_INCREMENTAL -u RUSTC_WRAPPER -u CARGO_BUILD_RUSTC_WRAPPER \
  CARGO_HOME="$work/cargo-home" CARGO_TARGET_DIR="$work/target" RUSTC="$rustc_bin" \
  "$cargo_bin" build --release --offline --locked --quiet
built="$work/target/wasm32-unknown-unknown/release/kiln_kernels.wasm"

sum() { sha256sum "$1" | cut -d' ' -f1; }
if [ $check -eq 1 ]; then
  if [ ! -f "$artifact" ]; then
    echo "build-kernels --check: $artifact is missing; run bash scripts/build-kernels.sh and commit it" >&2
    exit 1
  fi
  if ! cmp -s "$built" "$artifact"; then
    echo "build-kernels --check: the committed artifact differs from a fresh build" >&2
    echo "  committed $(sum "$artifact") ($(wc -c < "$artifact") bytes)" >&2
    echo "  rebuilt   $(sum "$built") ($(wc -c < "$built") bytes)" >&2
    echo "  run bash scripts/build-kernels.sh and commit src/codegen/kernels/kiln_kernels.wasm" >&2
    exit 1
  fi
  echo "build-kernels --check: kiln_kernels.wasm matches a fresh build ($(sum "$built"))"
else
  cp "$built" "$artifact"
  chmod 644 "$artifact" # cargo marks it executable; git should store it as data
  echo "build-kernels: wrote src/codegen/kernels/kiln_kernels.wasm ($(wc -c < "$artifact") bytes, sha256 $(sum "$artifact"))"
fi
