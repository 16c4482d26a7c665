#!/usr/bin/env bash
# Quick start, part one: installs what is missing, builds eakte, sets up the demo records on the
# data directory ./eakte-data (or $EAKTE_DATA) — again, `eakte demo` changes nothing when they are
# there — and a demo clerk's API token, then serves the HTTP API on 127.0.0.1:8080 (or
# $EAKTE_SERVER_BIND) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

cargo build --release --locked -p eakte-cli
eakte="${CARGO_TARGET_DIR:-$PWD/target}/release/eakte"
export EAKTE_DATA="${EAKTE_DATA:-$PWD/eakte-data}"
bind="${EAKTE_SERVER_BIND:-127.0.0.1:8080}"

echo "Setting up the demo records in $EAKTE_DATA" >&2
"$eakte" demo --dir fixtures/demo
"$eakte" plan show | sed -n 1,12p
echo "…"

# A clerk of the citizens' office, cleared for "nur für den Dienstgebrauch", for the examples.
clerk_token="$EAKTE_DATA/auth/demo-clerk.token"
if [ ! -s "$clerk_token" ]; then
  umask 077
  mkdir -p "$EAKTE_DATA/auth"
  "$eakte" token create --user demo-clerk --role clerk \
    --unit "33 Bürgerbüro – Melde-, Pass- und Ausweiswesen" --clearance nfd > "$clerk_token.new"
  mv "$clerk_token.new" "$clerk_token"
fi

cat <<MSG

eakte serves its API on http://$bind/api/v1 (the OpenAPI document: /api/v1/openapi.json).
Search the demo records as the demo clerk, from another terminal in this folder:

  curl -s -H "Authorization: Bearer \$(cat $clerk_token)" \\
    'http://$bind/api/v1/search?q=Meldebescheinigung'

The admin token (tokens for scanners, clerks, records managers, auditors: docs/api.md) is in
$EAKTE_DATA/auth/admin.token after the first start. The command line works while the server
is stopped: $eakte search 'Mueller AND Wegzug', $eakte --help. Ctrl-C stops the server.

MSG
exec "$eakte" serve --bind "$bind"
