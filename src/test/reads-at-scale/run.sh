#!/usr/bin/env bash
# Every read route at community scale, with PostgreSQL's own log of each statement's plan and time
# (docs/benchmarks/reads-at-scale.md). Runs target/parley.jar against a PostgreSQL that holds SearchBenchmark's
# community (100,000 posts, 1,000,000 comments: `SearchBenchmark --database-url URL` generates it once), asks each
# read route seven times as a visitor, a member, a member with content and a moderator, and prints every statement the
# routes ran: how often, its median and slowest time, and how many of its plans used parallel workers.
#
#   src/test/reads-at-scale/run.sh postgresql://postgres@127.0.0.1:55433/postgres /path/to/postgresql.log
#
# The URL must be a superuser's (the script sets auto_explain for the database's new sessions, and resets it at the
# end); the log is that server's log file, where auto_explain writes. Needs psql, curl and python3. The first run
# also gives the posts tags and adds reports and notifications, as the doc describes. Build the jar first.
set -euo pipefail
url="${1:?the DATABASE_URL of a superuser}"
pglog="${2:?the log file of the PostgreSQL server}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
jar="$root/target/parley.jar"
[ -f "$jar" ] || { echo "no $jar: run mvn package first" >&2; exit 2; }
[ -r "$pglog" ] || { echo "cannot read $pglog" >&2; exit 2; }
sql() { psql "$url" -v ON_ERROR_STOP=1 -qAtc "$1"; }

db="$(sql "SELECT current_database()")"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$root/target/reads-at-scale-parley.log"
B="http://127.0.0.1:$port"
pid=""
stop() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  sql "ALTER DATABASE \"$db\" RESET session_preload_libraries" || true
  sql "ALTER DATABASE \"$db\" RESET auto_explain.log_min_duration" || true
  rm -rf "$data"
}
trap stop EXIT

# Before the server opens its connections: each new session of the database loads auto_explain and logs every plan.
sql "ALTER DATABASE \"$db\" SET session_preload_libraries = 'auto_explain'"
sql "ALTER DATABASE \"$db\" SET auto_explain.log_min_duration = 0"

PARLEY_HOST=127.0.0.1 PARLEY_PORT="$port" PARLEY_DATA_DIR="$data" DATABASE_URL="$url" PARLEY_ADMIN=rsadmin \
  PARLEY_JWT_SECRET="reads-at-scale-$(date +%s%N)-0123456789abcdef" java -Xmx768m -jar "$jar" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf "$B/health/ready" >/dev/null && break; sleep 1; done
curl -sf "$B/health/ready" >/dev/null || { echo "Parley did not start: $log" >&2; exit 1; }

# The community's extras, once: tags (with the tag counts' trigger off, then counted again: one statement changing
# every post would update a tag's row once per post), reports and notifications.
if [ "$(sql "SELECT count(*) FROM tag_counts")" = 0 ]; then
  psql "$url" -v ON_ERROR_STOP=1 -q <<'SQL'
BEGIN;
LOCK posts IN SHARE MODE;
ALTER TABLE posts DISABLE TRIGGER tag_counts;
UPDATE posts SET tags = ARRAY(SELECT DISTINCT 'tag' || floor(exp(random() * ln(501)))::int
                                FROM generate_series(1, 1 + id::int % 3)) WHERE tags = '{}';
ALTER TABLE posts ENABLE TRIGGER tag_counts;
DELETE FROM tag_counts;
INSERT INTO tag_counts SELECT t.tag, count(*) FROM posts p, unnest(p.tags) AS t(tag)
 WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL GROUP BY t.tag;
COMMIT;
SQL
fi
if [ "$(sql "SELECT count(*) FROM reports")" = 0 ]; then
  sql "INSERT INTO reports (reporter_id, target_type, target_id, reason, status) SELECT (SELECT min(id) FROM users)
       + (g % 1000), 'comment', (SELECT min(id) FROM comments) + g * 19, 'spam', CASE WHEN g % 10 = 0 THEN 'open'
       ELSE 'dismissed' END FROM generate_series(1, 50000) g"
  sql "INSERT INTO notifications (user_id, kind, source, post_id, actor_id) SELECT (SELECT min(id) FROM users)
       + (g % 1000), 'comment', 'scale:' || g, (SELECT min(id) FROM posts) + (g % 100000), (SELECT min(id) FROM users)
       + ((g + 1) % 1000) FROM generate_series(1, 100000) g"
fi
sql "ANALYZE"

json() { python3 -c "import sys, json; d = json.load(sys.stdin); print($1)"; }
account() {
  curl -s -X POST "$B/api/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"email\":\"$1@example.org\",\"password\":\"correct horse battery staple\"}" >/dev/null
  curl -s -X POST "$B/api/auth/login" -H 'content-type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"correct horse battery staple\"}" | json 'd["token"]'
}
ADMIN="$(account rsadmin)"
READER="$(account rsreader)"
FOLLOWER="$(account rsfollower)"
for u in user17 user18 user19; do curl -s -o /dev/null -X PUT -H "Authorization: Bearer $FOLLOWER" "$B/api/users/$u/follow"; done
# A member with content (SearchBenchmark's members have no password): rsreader's, for this run.
sql "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'rsreader') WHERE username = 'user17'"
MEMBER="$(curl -s -X POST "$B/api/auth/login" -H 'content-type: application/json' \
  -d '{"login":"user17","password":"correct horse battery staple"}' | json 'd["token"]')"
POST="$(curl -s "$B/api/posts?limit=1" | json 'd["items"][0]["id"]')"
COMMENT="$(curl -s "$B/api/posts/$POST/comments?limit=1" | json 'd["items"][0]["id"]')"

PUBLIC=(/api/posts "/api/posts?sort=hot" "/api/posts?sort=top" "/api/posts?sort=active" "/api/posts/$POST"
  "/api/posts/$POST/comments" "/api/posts/$POST/comments?sort=best" "/api/posts/$POST/comments?sort=new"
  "/api/comments/$COMMENT" /api/users/user17 /api/users/user17/posts /api/users/user17/comments /api/tags
  "/api/posts?tag=tag1" "/api/posts?tag=tag1&sort=top" /feed.atom /tags/tag1/feed.atom "/api/search?q=kobababa"
  "/api/search?q=kobababa&type=posts" /realworld/api/articles "/realworld/api/articles?author=user17"
  "/realworld/api/articles?tag=tag1" /realworld/api/tags)
SIGNED_IN=(/api/me /api/me/notifications /api/me/notifications/unread /api/feed/following
  /realworld/api/articles/feed /realworld/api/user)
MODERATOR=(/api/mod/queue "/api/mod/queue?status=dismissed" "/api/mod/queue?reason=spam"
  "/api/mod/queue?status=dismissed&reason=hate" /api/mod/pending "/api/mod/recent?limit=50" /api/mod/log
  /api/mod/claims /api/mod/filters /api/mod/users/user17 "/api/mod/posts/$POST/moderation" "/api/posts/$POST/revisions")

offset="$(stat -c %s "$pglog")"
ask() { curl -s -o /dev/null ${1:+-H "Authorization: Bearer $1"} "$B$2"; }
for _ in 1 2 3 4 5 6 7; do
  for path in "${PUBLIC[@]}"; do ask "" "$path"; ask "$READER" "$path"; done
  for path in "${SIGNED_IN[@]}"; do ask "$READER" "$path"; ask "$FOLLOWER" "$path"; ask "$MEMBER" "$path"; done
  for path in "${MODERATOR[@]}"; do ask "$ADMIN" "$path"; done
  for sort in new hot top active; do
    cursor="$(curl -s "$B/api/posts?sort=$sort" | json 'd.get("nextCursor") or ""')"
    ask "" "/api/posts?sort=$sort&cursor=$cursor"
  done
done
sleep 1  # the server's log is written a moment after each statement

python3 - "$pglog" "$offset" <<'PY'
import re, sys, collections
with open(sys.argv[1], 'rb') as f:
    f.seek(int(sys.argv[2]))
    text = f.read().decode('utf-8', 'replace')
entries = re.split(r'\n(?=\S+ \S+ \S+ \[\d+\] LOG:  duration:)', text)
seen = collections.defaultdict(list)
for e in entries:
    m = re.search(r'duration: ([\d.]+) ms\s+plan:\s*\n\s*Query Text: (.*?)\n\s*(?:Query Parameters:.*?\n\s*)?\S', e, re.S)
    if m:
        seen[' '.join(m.group(2).split())[:110]].append((float(m.group(1)), 'Workers Planned' in e))
print('| statement | runs | median ms | max ms | parallel plans |')
print('|---|---|---|---|---|')
for q, runs in sorted(seen.items(), key=lambda kv: -max(t for t, _ in kv[1])):
    times = sorted(t for t, _ in runs)
    print(f'| {q} | {len(runs)} | {times[len(times) // 2]:.2f} | {times[-1]:.2f} | {sum(p for _, p in runs)} |')
PY
