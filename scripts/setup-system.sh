#!/usr/bin/env bash
# Installs the system packages Kiln's tests and examples need on Debian 12 (bookworm):
# the Fashion-MNIST dataset. Idempotent; runs apt-get only when something is missing.
# KILN_BUILD_KERNELS=1 also installs Debian's Rust 1.63 for wasm32 (about 116 MB), needed only to
# rebuild src/codegen/kernels/kiln_kernels.wasm (npm run build:kernels); tests use the committed one.
set -euo pipefail
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
if [ "${KILN_BUILD_KERNELS:-0}" = "1" ]; then
  if [ ! -x /usr/bin/rustc ] || [ ! -x /usr/bin/cargo ] || [ ! -x /usr/bin/lld-14 ] \
    || [ ! -d /usr/lib/rustlib/wasm32-unknown-unknown ]; then
    need+=(rustc cargo libstd-rust-dev-wasm32 lld-14)
  fi
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "== apt-get install ${need[*]}"
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}"
fi
