#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI document with schemathesis (from PyPI): a server on a
# scratch data directory with the demo records, then schemathesis as a clerk, an auditor, a
# scanning station and an admin. It fails on any 5xx, any answer that does not conform to the
# document (status, content type, schema), and any invalid input that is accepted. Afterwards the
# data directory must still verify. Run by .ci/run after the test command; by hand:
#   ./scripts/api-fuzz.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

max_examples="${1:-25}"
venv="${EAKTE_VENV:-/var/tmp/eakte-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "api-fuzz: installing schemathesis into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi

cargo build --locked -p eakte-cli
eakte="${CARGO_TARGET_DIR:-$PWD/target}/debug/eakte"
scratch=$(mktemp -d /var/tmp/eakte-fuzz.XXXXXX)
export EAKTE_DATA="$scratch/data"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

"$eakte" demo --dir fixtures/demo >/dev/null
unit="33 Bürgerbüro – Melde-, Pass- und Ausweiswesen"
clerk=$("$eakte" token create --user fuzz-clerk --role clerk --unit "$unit" --clearance nfd 2>/dev/null)
auditor=$("$eakte" token create --user fuzz-auditor --role auditor --clearance vertraulich 2>/dev/null)
scanner=$("$eakte" token create --user fuzz-scanner --role scanner --unit "$unit" 2>/dev/null)
admin=$("$eakte" token create --user fuzz-admin --role admin 2>/dev/null)
records_manager=$("$eakte" token create --user fuzz-rm --role records_manager --clearance vertraulich 2>/dev/null)

"$eakte" serve --bind 127.0.0.1:0 > "$scratch/serve.out" 2> "$scratch/serve.err" &
server_pid=$!
for _ in $(seq 1 100); do
  [ -s "$scratch/serve.out" ] && break
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$scratch/serve.out")
[ -n "$base" ] || { cat "$scratch/serve.err" >&2; echo "api-fuzz: the server did not start" >&2; exit 1; }
echo "api-fuzz: server at $base" >&2

# The checks: no 5xx, status codes, content types and bodies as documented, invalid input
# refused. Multipart forms carry every field as text: a "negative" value that schemathesis means as
# an array or a number arrives as the text "[null]" or "12", which is a valid title or sender. So
# for the two uploads only, invalid input is judged by the other checks, not by whether text that
# could be anything was accepted.
cat > "$scratch/schemathesis.toml" <<'TOML'
[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_schema_conformance.enabled = true
negative_data_rejection.enabled = true

[[operations]]
include-name = "POST /inbox"
checks.negative_data_rejection.enabled = false

[[operations]]
include-name = "POST /akten/{id}/documents"
checks.negative_data_rejection.enabled = false
TOML
status=0
# The admin comes last: its run makes and revokes tokens, the others' among them.
for who in clerk auditor scanner records_manager admin; do
  echo "api-fuzz: as $who" >&2
  # From the scratch folder, where schemathesis keeps its state.
  (cd "$scratch" && "$venv/bin/schemathesis" run "$base/openapi.json" \
    --max-examples "$max_examples" --seed 1 --workers 1 \
    --suppress-health-check all --request-timeout 60 \
    -H "Authorization: Bearer ${!who}") || status=1
done

kill -TERM "$server_pid"
wait "$server_pid" || { echo "api-fuzz: the server did not stop cleanly" >&2; status=1; }
server_pid=""
if grep -q "panicked" "$scratch/serve.err"; then
  echo "api-fuzz: the server panicked:" >&2
  grep -A3 "panicked" "$scratch/serve.err" >&2
  status=1
fi
"$eakte" verify >/dev/null || { echo "api-fuzz: the data directory does not verify" >&2; status=1; }
"$eakte" audit verify >/dev/null || { echo "api-fuzz: the journal does not verify" >&2; status=1; }
exit $status
