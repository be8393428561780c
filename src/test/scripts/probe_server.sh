#!/usr/bin/env bash
# Starts a jar (default target/parley.jar) for the overload probes in this directory: rate limits lifted (so one
# address stands for many), nothing held for review, a fresh data directory, port 18080, a 256 MiB heap.
#   src/test/scripts/probe_server.sh [jar] [more VAR=value settings...]
# Stop it with: kill $(cat /tmp/parley-probe.pid)
set -euo pipefail
cd "$(dirname "$0")/../../.."
jar=${1:-target/parley.jar}; shift || true
limits=$(grep -o 'PARLEY_LIMIT_[A-Z_]*[A-Z]' README.md | sort -u | sed 's/$/=1000000\/1s/' | tr '\n' ' ')
rm -rf /tmp/parley-probe-data
env $limits PARLEY_HOLD_NEW_POSTS=0 PARLEY_HOLD_NEW_COMMENTS=0 PARLEY_LOGIN_FREE_FAILURES=1000 \
  PARLEY_DATA_DIR=/tmp/parley-probe-data PARLEY_PORT=18080 "$@" \
  java -Xmx256m -jar "$jar" > /tmp/parley-probe.log 2>&1 &
echo $! > /tmp/parley-probe.pid
for _ in $(seq 90); do curl -sf localhost:18080/health > /dev/null && exit 0; sleep 1; done
echo "the server did not answer /health: see /tmp/parley-probe.log" >&2; exit 1
