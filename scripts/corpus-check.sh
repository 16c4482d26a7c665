#!/usr/bin/env bash
# Corpus check: every file of the shared test corpus goes through `eakte store put` and comes back
# byte-identical from `eakte store get`; a second put of everything is deduplicated; verify is clean.
# Then every file goes through `eakte extract` (benches/src/bin/corpus_extract.rs): no crash or hang,
# each failure a specific reason, and OCR at least as accurate as the tesseract command line on
# every image or scan with ground-truth text. Last, the whole corpus is filed with one
# `eakte ingest` and every file with ground-truth text or asserted phrases must be found by a
# distinctive phrase of it (benches/src/bin/corpus_search.rs).
# Usage: scripts/corpus-check.sh [CORPUS_DIR]   (default ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
corpus="${1:-../shared/corpus}"
[ -d "$corpus" ] || { echo "corpus-check: no corpus at $corpus" >&2; exit 1; }

cargo build --locked -p eakte-cli -p eakte-benches
eakte="${CARGO_TARGET_DIR:-$PWD/target}/debug/eakte"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export EAKTE_DATA="$work/data"
# Small segments, so that the corpus spans many of them and roll-over is exercised.
export EAKTE_STORE_SEGMENT_MAX_BYTES=$((4 * 1024 * 1024))

find "$corpus" -type f -print0 | sort -z > "$work/files"
mapfile -d '' files < "$work/files"
count=${#files[@]}
"$eakte" store put "${files[@]}" > "$work/ids"
# put prints one line per file, in the order given; pair them by position (file names need not be
# UTF-8, so the printed path is not used).
mapfile -t ids < <(cut -d' ' -f1 "$work/ids")
[ "${#ids[@]}" -eq "$count" ] || { echo "corpus-check: put printed ${#ids[@]} lines for $count files" >&2; exit 1; }

bad=0
for i in "${!files[@]}"; do
  if ! "$eakte" store get "${ids[$i]}" | cmp -s - "${files[$i]}"; then
    echo "corpus-check: MISMATCH ${ids[$i]} ${files[$i]}" >&2
    bad=$((bad + 1))
  fi
done

"$eakte" store put "${files[@]}" > "$work/ids2"
cmp -s "$work/ids" "$work/ids2" || { echo "corpus-check: a second put gave other ids" >&2; bad=$((bad + 1)); }
"$eakte" store verify > "$work/verify" || { cat "$work/verify" >&2; bad=$((bad + 1)); }
"$eakte" store stats | tee "$work/stats"
distinct=$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)
grep -q "^blobs *$distinct\$" "$work/stats" || { echo "corpus-check: blob count is not $distinct" >&2; bad=$((bad + 1)); }

echo "corpus: $((count - bad)) passed, $bad failed"

"${CARGO_TARGET_DIR:-$PWD/target}/debug/corpus-extract" --eakte "$eakte" --corpus "$corpus" \
  || bad=$((bad + 1))
"${CARGO_TARGET_DIR:-$PWD/target}/debug/corpus-search" --eakte "$eakte" --corpus "$corpus" \
  --data "$work/records" || bad=$((bad + 1))
[ "$bad" -eq 0 ]
