#!/usr/bin/env bash
# Builds the Rust SIMD micro-kernels (src/codegen/kernels) to WebAssembly, twice from one source:
#   kiln_kernels.wasm          plain SIMD128 (every multiply-add is f32x4.mul + f32x4.add)
#   kiln_kernels_relaxed.wasm  + relaxed SIMD (multiply-adds are f32x4.relaxed_madd, i.e. FMA)
# and installs them in src/codegen/kernels/, the committed artifacts that users without Rust load
# (src/backend/wasm/kernels.ts picks one at load time).
#
#   bash scripts/build-kernels.sh           rebuild both and overwrite the committed artifacts
#   bash scripts/build-kernels.sh --check   rebuild in a temp dir; fail if any byte differs (CI)
#
# Needs Debian's Rust 1.96 (rustc-web, cargo-web, rust-web-src, lld-22 from bookworm-security):
# run `KILN_BUILD_KERNELS=1 bash scripts/setup-system.sh` (or see ../shared/ENVIRONMENT.md).
# Debian ships no wasm32 standard library for it, so `core` is rebuilt from rust-web-src with
# cargo's unstable build-std (RUSTC_BOOTSTRAP=1, this cargo call only), its crates.io
# dependencies replaced by the sources vendored next to it, and linked by wasm-ld-22. These
# settings are passed here, not in the crate's .cargo/config.toml, so that the crate stays
# buildable by wasm-pack and a rustup toolchain elsewhere.
# Every build is a clean build in a fresh target dir with an empty CARGO_HOME and no RUSTFLAGS
# from the environment, so the bytes depend only on the sources and the pinned compiler.
set -euo pipefail

PINNED_RUSTC="rustc 1.96.0"
root=$(cd "$(dirname "$0")/.." && pwd)
crate="$root/src/codegen/kernels"
rustc_bin=${KILN_RUSTC:-/usr/bin/rustc}
cargo_bin=${KILN_CARGO:-/usr/bin/cargo}
linker=${KILN_WASM_LD:-wasm-ld-22}

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

fail_setup() {
  echo "build-kernels: $1. Install Debian's Rust 1.96 for wasm32 with" >&2
  echo "  KILN_BUILD_KERNELS=1 bash scripts/setup-system.sh" >&2
  echo "(rustup's toolchain cannot target wasm32 offline). Without Rust, use the committed .wasm files." >&2
  exit 1
}
[ -x "$rustc_bin" ] && [ -x "$cargo_bin" ] || fail_setup "$rustc_bin or $cargo_bin not found"
command -v "$linker" > /dev/null || fail_setup "the linker $linker was not found (package lld-22)"
sysroot=$("$rustc_bin" --print sysroot)
library="$sysroot/lib/rustlib/src/rust/library"
[ -f "$library/core/Cargo.toml" ] && [ -d "$library/vendor" ] \
  || fail_setup "$library has no core sources or vendored crates (package rust-web-src)"
version=$("$rustc_bin" -V)
compare=1
if [ "${version#"$PINNED_RUSTC"}" = "$version" ]; then
  # bookworm-security replaces rustc-web when Firefox/Chromium need a newer one, and old versions
  # leave the archive: CI then checks that the crate still builds with the new compiler, and says
  # loudly that the bytes cannot be compared, instead of failing on something outside this repo.
  echo "warning: build-kernels: the artifacts are pinned to $PINNED_RUSTC, found '$version'; their bytes will differ." >&2
  echo "warning: rebuild them (bash scripts/build-kernels.sh), update PINNED_RUSTC and commit both .wasm files." >&2
  compare=0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kernels.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cargo-home"

# build NAME EXTRA_TARGET_FEATURES: one clean build; prints the path of the built module.
build() {
  local name=$1 features=$2 target="$work/target-$1"
  local flags=()
  # Appended to the crate config's rustflags (-C target-feature=+simd128), which apply to core too.
  if [ -n "$features" ]; then
    flags=(--config "target.wasm32-unknown-unknown.rustflags=[\"-C\",\"target-feature=$features\"]")
  fi
  # cargo reads .cargo/config.toml (target and +simd128) only from the current directory upwards.
  (cd "$crate" && env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_BUILD_TARGET \
    -u CARGO_INCREMENTAL -u RUSTC_WRAPPER -u CARGO_BUILD_RUSTC_WRAPPER -u CARGO_UNSTABLE_BUILD_STD \
    RUSTC_BOOTSTRAP=1 CARGO_HOME="$work/cargo-home" CARGO_TARGET_DIR="$target" RUSTC="$rustc_bin" \
    "$cargo_bin" build --release --offline --locked --quiet -Z build-std=core \
      --config 'source.crates-io.replace-with="debian-rust-library"' \
      --config "source.debian-rust-library.directory=\"$library/vendor\"" \
      --config "target.wasm32-unknown-unknown.linker=\"$linker\"" \
      "${flags[@]}" >&2)
  echo "$target/wasm32-unknown-unknown/release/kiln_kernels.wasm"
}

sum() { sha256sum "$1" | cut -d' ' -f1; }
status=0
for variant in "kiln_kernels:" "kiln_kernels_relaxed:+relaxed-simd"; do
  name=${variant%%:*}
  built=$(build "$name" "${variant#*:}")
  artifact="$crate/$name.wasm"
  if [ $check -eq 1 ] && [ $compare -eq 0 ]; then
    echo "build-kernels --check: $name.wasm builds with '$version' (bytes not compared: see the warning above)"
  elif [ $check -eq 1 ]; then
    if [ ! -f "$artifact" ]; then
      echo "build-kernels --check: $artifact is missing; run bash scripts/build-kernels.sh and commit it" >&2
      status=1
    elif ! cmp -s "$built" "$artifact"; then
      echo "build-kernels --check: the committed $name.wasm differs from a fresh build" >&2
      echo "  committed $(sum "$artifact") ($(wc -c < "$artifact") bytes)" >&2
      echo "  rebuilt   $(sum "$built") ($(wc -c < "$built") bytes)" >&2
      echo "  run bash scripts/build-kernels.sh and commit src/codegen/kernels/$name.wasm" >&2
      status=1
    else
      echo "build-kernels --check: $name.wasm matches a fresh build ($(sum "$built"))"
    fi
  else
    cp "$built" "$artifact"
    chmod 644 "$artifact" # cargo marks it executable; git should store it as data
    echo "build-kernels: wrote src/codegen/kernels/$name.wasm ($(wc -c < "$artifact") bytes, sha256 $(sum "$artifact"))"
  fi
done
exit $status
