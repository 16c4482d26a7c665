#!/usr/bin/env bash
# Peak memory of streaming a 4 GiB file through `eakte store put` and `eakte store get`.
# Usage: benches/rss-4gib.sh [WORK_DIR]   (needs about 9 GiB free there; default /var/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo build --release --locked -p eakte-cli >/dev/null
eakte="${CARGO_TARGET_DIR:-$PWD/target}/release/eakte"
work=$(mktemp -d "${1:-/var/tmp}/eakte-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT

head -c $((4 * 1024 * 1024 * 1024)) /dev/urandom > "$work/big"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "file: 4 GiB of random bytes"

/usr/bin/time -f "%M %e" -o "$work/put.time" "$eakte" --data "$work/data" store put "$work/big" > "$work/put.out"
id=$(cut -d' ' -f1 "$work/put.out")
read -r put_kib put_s < "$work/put.time"
echo "put: peak RSS $((put_kib / 1024)) MiB, $put_s s"

# get's output goes into a second store: the same id back means byte-identical.
/usr/bin/time -f "%M %e" -o "$work/get.time" "$eakte" --data "$work/data" store get "$id" \
  | "$eakte" --data "$work/check" store put - > "$work/check.out"
read -r get_kib get_s < "$work/get.time"
echo "get: peak RSS $((get_kib / 1024)) MiB, $get_s s"
[ "$(cut -d' ' -f1 "$work/check.out")" = "$id" ] || { echo "get returned other bytes" >&2; exit 1; }
echo "round trip byte-identical: $id"
