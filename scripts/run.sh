#!/usr/bin/env bash
# Quick start, part one: installs what is missing, builds eakte, and runs it on the data directory
# ./eakte-data (or $EAKTE_DATA), filling it with the demo documents of fixtures/demo on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

cargo build --release --locked -p eakte-cli
eakte="${CARGO_TARGET_DIR:-$PWD/target}/release/eakte"
export EAKTE_DATA="${EAKTE_DATA:-$PWD/eakte-data}"

# The marker is written only after the demo documents are stored, so an interrupted first run
# stores them again (which deduplicates) instead of silently skipping them.
if [ ! -f "$EAKTE_DATA/.demo-loaded" ]; then
  echo "First run: storing the demo documents in $EAKTE_DATA" >&2
  "$eakte" store put fixtures/demo/*
  touch "$EAKTE_DATA/.demo-loaded"
fi
"$eakte" store stats
"$eakte" store verify
"$eakte" audit verify
# Text extraction and OCR of a scanned German page, in a sandboxed worker.
"$eakte" extract fixtures/extract/german-scan.pdf | sed -n 1,8p
cat <<MSG

eakte is ready; its data directory is $EAKTE_DATA.
Try:
  $eakte store put SOME_FILE          # store a file, prints its blake3 id
  $eakte store get ID > copy          # the original bytes, verified
  $eakte store verify                 # re-check every stored byte
  $eakte audit log                    # every action so far, from the journal
  $eakte audit public-key             # the key auditors verify checkpoints with
  $eakte audit export DIR             # an export to verify offline: $eakte audit verify DIR --key KEY
  $eakte extract FILE...              # text of PDFs, scans and images page by page (--json)
  $eakte --help
MSG
