#!/usr/bin/env bash
# Validates the xdomea messages eakte exports against the official xdomea 3.0.0 schema with
# xmllint: the 0501 offer and the 0503 transfer that a real disposition on the command line
# writes (the archive test of crates/eakte-cli/tests/disposition_cli.rs keeps their XML), and
# sample 0501, 0502, 0503 and 0506 messages of eakte-xdomea with many objects and awkward text.
# Usage: scripts/xdomea-check.sh [SCHEMA]   (default ../shared/reference/xdomea-3.0.0/xdomea.xsd)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
schema="${1:-../shared/reference/xdomea-3.0.0/xdomea.xsd}"
[ -f "$schema" ] || { echo "xdomea-check: no schema at $schema" >&2; exit 1; }
if ! command -v xmllint >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libxml2-utils >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

EAKTE_XDOMEA_OUT="$work/exported" cargo nextest run --locked -p eakte-cli --test disposition_cli \
  offered_akten_go_to_the_archive_in_xdomea
cargo run --locked -q -p eakte-xdomea --example write_samples -- "$work/samples"

shopt -s nullglob
messages=("$work"/exported/*.xml "$work"/samples/*.xml)
exported=("$work"/exported/*.xml)
if [ ${#exported[@]} -lt 2 ]; then
  echo "xdomea-check: the disposition test exported ${#exported[@]} message(s), expected 0501 and 0503" >&2
  exit 1
fi
xmllint --noout --schema "$schema" "${messages[@]}"
echo "xdomea-check: ${#messages[@]} messages validate against $(basename "$schema")"
