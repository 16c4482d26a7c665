#!/usr/bin/env bash
# Quick start, part one: installs what is missing, builds eakte, and runs it on the data directory
# ./eakte-data (or $EAKTE_DATA): the demo file plan, Akten and documents of fixtures/demo are set
# up (again: `eakte demo` changes nothing when they are there), then a few searches show them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

cargo build --release --locked -p eakte-cli
eakte="${CARGO_TARGET_DIR:-$PWD/target}/release/eakte"
export EAKTE_DATA="${EAKTE_DATA:-$PWD/eakte-data}"

echo "Setting up the demo records in $EAKTE_DATA" >&2
"$eakte" demo --dir fixtures/demo
"$eakte" plan show | sed -n 1,12p
echo "…"
echo
echo '$ eakte search Meldebescheinigung'
"$eakte" search Meldebescheinigung
echo
echo '$ eakte search "Mueller AND Wegzug"'
"$eakte" search "Mueller AND Wegzug"
echo
"$eakte" verify
"$eakte" audit verify
cat <<MSG

eakte is ready; its data directory is $EAKTE_DATA.
Try:
  $eakte search 'Bescheinigung'              # German: stems, umlauts, compound parts
  $eakte search 'plan:33.* AND Anmeldung'     # filters, AND/OR/NOT, "phrases", prefix*, fuzzy~
  $eakte plan show                            # the file plan
  $eakte akte create --plan 33.1 --title 'Meldeakte Mustermann' --unit 'Bürgerbüro'
  $eakte ingest --akte AKTENZEICHEN FILE_OR_DIR...   # file documents (OCR for scans)
  $eakte akte show AKTENZEICHEN               # an Akte and its documents
  $eakte audit log                            # every action so far, from the journal
  $eakte rebuild                              # recreate catalog and index from journal and store
  $eakte --help
MSG
