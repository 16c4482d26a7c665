#!/usr/bin/env bash
# Installs what building and testing eakte needs, and only what is missing: Debian packages,
# a Rust toolchain, cargo-nextest. Safe to run again. Sourced by run.sh and test.sh.
set -euo pipefail

# Debian packages the build, the tests and the benchmarks use: libtesseract and leptonica with
# libclang for the OCR bindings, the German, English and orientation (osd) models, and poppler's
# pdftoppm to render PDF pages whose images cannot be decoded directly, and xmllint to check
# xdomea messages against their schema.
EAKTE_DEBIAN_PACKAGES=(build-essential pkg-config ca-certificates curl zstd time
  libtesseract-dev libleptonica-dev libclang-dev tesseract-ocr tesseract-ocr-deu
  tesseract-ocr-eng tesseract-ocr-osd poppler-utils libxml2-utils)

missing=()
for pkg in "${EAKTE_DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# libgomp reads this when libtesseract loads: one OpenMP thread per Tesseract, since eakte runs
# one OCR worker per core (the workers set it themselves; this covers tests and tools).
export OMP_THREAD_LIMIT=1

# Rust: Debian 12's rustc is too old for edition 2024, so a missing toolchain comes from rustup.
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain with rustup" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt >&2
  . "$HOME/.cargo/env"
fi
# The workspace needs Rust 1.95 or newer; an older toolchain installed by rustup is updated.
rust_minor=$(rustc --version | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
if [ -n "$rust_minor" ] && [ "$rust_minor" -lt 95 ]; then
  if command -v rustup >/dev/null 2>&1; then
    echo "setup: Rust 1.$rust_minor is too old; updating the stable toolchain" >&2
    rustup update stable >&2
  else
    echo "setup: Rust 1.$rust_minor is too old for eakte (1.95 or newer is needed)" >&2
    exit 1
  fi
fi
for component in clippy rustfmt; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$component" >&2
  fi
done
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest" >&2
  cargo install --locked cargo-nextest >&2
fi
