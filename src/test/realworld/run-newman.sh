#!/usr/bin/env bash
# Runs the RealWorld ("Conduit") Postman collection with newman against a fresh Parley: target/parley.jar on a new
# data directory (its own embedded PostgreSQL) and a free port, then stops it. Build the jar first (mvn package).
#
# Settings for a conformance run: the collection's brand-new account publishes an article and a comment and expects
# to list them at once, so pre-moderation's new-account holds are off (PARLEY_HOLD_NEW_POSTS/COMMENTS=0). Every
# other setting, rate limits included, is Parley's default. docs/REALWORLD.md says what a held article looks like.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
jar="$root/target/parley.jar"
[ -f "$jar" ] || { echo "no $jar: run mvn package first" >&2; exit 2; }

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

data="$(mktemp -d)"
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
log="$root/target/realworld-parley.log"
PARLEY_HOST=127.0.0.1 PARLEY_PORT="$port" PARLEY_DATA_DIR="$data" \
  PARLEY_HOLD_NEW_POSTS=0 PARLEY_HOLD_NEW_COMMENTS=0 \
  java -jar "$jar" >"$log" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT

ready() {
  node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
    "http://127.0.0.1:$port/health"
}
for _ in $(seq 1 240); do
  if ready; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "Parley stopped; see $log" >&2; tail -20 "$log" >&2; exit 1; fi
  sleep 0.5
done
ready || { echo "Parley did not become ready; see $log" >&2; exit 1; }

stamp="$(date +%s)"
"$here/node_modules/.bin/newman" run "$here/Conduit.postman_collection.json" \
  --global-var "APIURL=http://127.0.0.1:$port/realworld/api" \
  --global-var "USERNAME=rw$stamp" \
  --global-var "EMAIL=rw$stamp@mail.com" \
  --global-var "PASSWORD=password123"
