#!/usr/bin/env bash
# Corpus check: every file of the shared test corpus goes through `eakte store put` and comes back
# byte-identical from `eakte store get`; a second put of everything is deduplicated; verify is clean.
# Usage: scripts/corpus-check.sh [CORPUS_DIR]   (default ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-../shared/corpus}"
[ -d "$corpus" ] || { echo "corpus-check: no corpus at $corpus" >&2; exit 1; }

cargo build --locked -p eakte-cli
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
eakte="$target_dir/debug/eakte"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export EAKTE_DATA="$work/data"
# Small segments, so that the corpus spans many of them and roll-over is exercised.
export EAKTE_STORE_SEGMENT_MAX_BYTES=$((4 * 1024 * 1024))

find "$corpus" -type f -print0 | sort -z > "$work/files"
count=$(tr -cd '\0' < "$work/files" | wc -c)
xargs -0 "$eakte" store put < "$work/files" > "$work/ids"
[ "$(wc -l < "$work/ids")" -eq "$count" ] || { echo "corpus-check: put printed $(wc -l < "$work/ids") lines for $count files" >&2; exit 1; }

bad=0
while IFS= read -r line; do
  id=${line%%  *}
  path=${line#*  }
  if ! "$eakte" store get "$id" | cmp -s - "$path"; then
    echo "corpus-check: MISMATCH $id $path" >&2
    bad=$((bad + 1))
  fi
  # The id is the file's blake3 (the b3sum format).
done < "$work/ids"

xargs -0 "$eakte" store put < "$work/files" > "$work/ids2"
cmp -s "$work/ids" "$work/ids2" || { echo "corpus-check: a second put gave other ids" >&2; bad=$((bad + 1)); }
"$eakte" store verify > "$work/verify" || { cat "$work/verify" >&2; bad=$((bad + 1)); }
"$eakte" store stats
distinct=$(cut -d' ' -f1 "$work/ids" | sort -u | wc -l)
grep -q "^blobs *$distinct\$" <("$eakte" store stats) || { echo "corpus-check: blob count is not $distinct" >&2; bad=$((bad + 1)); }

echo "corpus: $((count - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
