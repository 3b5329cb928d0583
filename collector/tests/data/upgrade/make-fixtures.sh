#!/usr/bin/env bash
# Writes the upgrade test's databases with the collector of the last release, then dumps them:
#   sqlite-d59368f.sql     `sqlite3 .dump` of its SQLite database, plus its user_version
#   postgres-d59368f.sql   `pg_dump --inserts` of its PostgreSQL database
# Usage: make-fixtures.sh OLD_COLLECTOR, the collector built at commit d59368f (schema
# version 4):
#   git worktree add --detach /tmp/old d59368f && (cd /tmp/old && cargo build -p depeche-collector)
#   collector/tests/data/upgrade/make-fixtures.sh /tmp/old/target/debug/depeche-collector
# The same things happen on both backends (tests/upgrade.rs knows the figures): the feed file's
# two items, the source's two items (source.rss), three publishes (one replacing another), 40
# views and 7 reads of kangaba (20 views from a partner's page), 12 views of the published
# flash, and a view seen twice that counts once.
set -euo pipefail
old=$(realpath "${1:?usage: $0 OLD_COLLECTOR}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
trap 'kill "${pid:-}" 2>/dev/null || true; [ -n "${pg:-}" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1; rm -rf "$work"' EXIT
cp "$here/feed.json" "$here/source.rss" "$work/"
port=18431
token=upgrade-fixture-token

# run DATABASE: the old collector over DATABASE, fed as described above, then stopped.
run() {
  (cd "$work" && DEPECHE_PUBLISH_TOKEN=$token exec "$old" --listen 127.0.0.1:$port --feed feed.json --source source.rss \
    --database "$1" --www /nonexistent --pkg /nonexistent --rate-limit 0 --trust-proxy 127.0.0.1 \
    --allow-origin https://partenaire.example) &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/feed.json" | grep -q 'Ségou' && break; sleep 0.1; done
  publish() {
    curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "$1" "http://127.0.0.1:$port/publish"
  }
  publish '{"id":"flash","title":"Alerte : attaque à Kangaba","_depeche":{"urgency":1}}'
  publish '{"id":"correction","title":"Correction : le bilan est de deux blessés"}'
  publish '{"id":"flash","title":"Alerte : l’attaque de Kangaba est terminée","_depeche":{"urgency":1}}'
  # beacon VISITOR ITEM EVENT [ORIGIN]: from a page of ORIGIN, by default the collector's own.
  beacon() {
    curl -fs -o /dev/null -H "User-Agent: Mozilla/5.0 Chrome/156.0 visitor-$1" -H "X-Forwarded-For: 10.0.0.$1" \
      -H 'Content-Type: text/plain' -H "Origin: ${4:-http://127.0.0.1:$port}" --data-binary "{\"v\":1,\"item\":\"$2\",\"event\":\"$3\",\"feed\":\"/feed.json\"}" \
      "http://127.0.0.1:$port/beacon"
  }
  for v in $(seq 1 20); do beacon "$v" kangaba view; done
  for v in $(seq 21 40); do beacon "$v" kangaba view https://partenaire.example; done
  for v in $(seq 1 7); do beacon "$v" kangaba read; done
  for v in $(seq 1 12); do beacon "$v" flash view; done
  beacon 1 kangaba view
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

run "sqlite:$work/v4.db"
{
  echo "-- A database written by the collector of commit d59368f (schema version 4), dumped by"
  echo "-- make-fixtures.sh (which says what was done to it). Loaded by tests/upgrade.rs."
  sqlite3 "$work/v4.db" .dump
  echo "PRAGMA user_version = $(sqlite3 "$work/v4.db" 'PRAGMA user_version');"
} > "$here/sqlite-d59368f.sql"

# A throwaway PostgreSQL cluster on a Unix socket, as tests/support does.
pgbin=${PG_BIN:-$(pg_config --bindir)}
pg=$work/pg
mkdir -p "$pg" && chown postgres:postgres "$pg"
runuser -u postgres -- "$pgbin/initdb" -D "$pg/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pg/data" -o "-p 18432 -k $pg -c listen_addresses=''" -l "$pg/log" -w start >/dev/null
runuser -u postgres -- "$pgbin/createdb" -h "$pg" -p 18432 -U postgres upgrade
run "postgres:host=$pg port=18432 user=postgres dbname=upgrade"
{
  echo "-- A database written by the collector of commit d59368f (schema version 4), dumped by"
  echo "-- make-fixtures.sh (which says what was done to it). Loaded by tests/upgrade.rs."
  # psql's meta-commands (\restrict) are not SQL: the test loads the dump without psql.
  runuser -u postgres -- "$pgbin/pg_dump" -h "$pg" -p 18432 -U postgres --no-owner --no-privileges --inserts upgrade | grep -v '^\\'
} > "$here/postgres-d59368f.sql"
echo "wrote $here/sqlite-d59368f.sql and $here/postgres-d59368f.sql"
