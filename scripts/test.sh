#!/usr/bin/env bash
# Quick start, part two: installs what is missing, then runs every check CI runs on the code:
# formatting, clippy, the whole test suite, doc tests, and rustdoc without warnings.
# Needs nothing outside the repository (the corpus checks are scripts/corpus-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

export OMP_THREAD_LIMIT=1
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo nextest run --locked --workspace --no-fail-fast
cargo test --locked --workspace --doc
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps
