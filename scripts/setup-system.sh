#!/usr/bin/env bash
# Installs the system packages Kiln's tests and examples need on Debian 12 (bookworm):
# the Fashion-MNIST dataset, and Mesa's software Vulkan driver (lavapipe, from bookworm-backports:
# bookworm's own Mesa 22 is refused by Dawn) so the webgpu backend's WGSL runs on machines without
# a GPU. Idempotent; runs apt-get only when something is missing.
# KILN_BUILD_KERNELS=1 also installs Debian's Rust 1.96 from bookworm-security (rustc-web, cargo-web,
# rust-web-src for build-std of core, lld-22 for wasm-ld-22; about 147 MB), needed only to rebuild
# src/codegen/kernels/kiln_kernels{,_relaxed}.wasm (npm run build:kernels); tests use the committed
# ones. It conflicts with Debian's rustc 1.63 (package rustc), which apt removes.
set -euo pipefail
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || need+=(chromium) # headless browser for tests/browser
if ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2> /dev/null | grep -q bpo || ! dpkg-query -W libvulkan1 > /dev/null 2>&1; then
  need+=(libvulkan1 mesa-vulkan-drivers/bookworm-backports)
fi
if [ "${KILN_BUILD_KERNELS:-0}" = "1" ]; then
  if ! /usr/bin/rustc -V 2> /dev/null | grep -q '^rustc 1\.96\.' || [ ! -x /usr/bin/cargo ] \
    || ! command -v wasm-ld-22 > /dev/null || [ ! -d /usr/src/rustc-1.96.0/library/vendor ]; then
    need+=(rustc-web cargo-web rust-web-src lld-22)
  fi
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "== apt-get install ${need[*]}"
  # bookworm-backports, on the mirror the machine already uses (the first stanza of its Debian source).
  if [ ! -f /etc/apt/sources.list.d/backports.sources ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -n '1,/^$/p' /etc/apt/sources.list.d/debian.sources | sed 's/^Suites:.*/Suites: bookworm-backports/' \
      | $SUDO tee /etc/apt/sources.list.d/backports.sources > /dev/null
  fi
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}"
fi
