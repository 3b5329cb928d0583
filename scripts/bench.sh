#!/usr/bin/env bash
# Loads the collector on loopback with wrk: distinct visitors sending view beacons, every one
# of which is counted. Side by side in one run: SQLite (one instance), PostgreSQL with one
# instance, PostgreSQL with three instances sharing the database (one wrk per instance).
# Prints beacons/s, latency percentiles, and stored against acknowledged; then the event
# streams under load (scripts/bench-stream.mjs) and push against polling in Chromium
# (scripts/bench-push.mjs). A measurement, not
# a test: it asserts nothing. Bounded: each run lasts DURATION, then everything it started
# is stopped.
#   DURATION=10s CONNECTIONS=32 scripts/bench.sh
#   PG_OPTIONS="-c synchronous_commit=off" scripts/bench.sh   (to see what the disk costs)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -d "$dir/pg" ]; then as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cat > "$dir/beacon.lua" <<'LUA'
-- Every request is a new visitor (its own User-Agent and address, which the collector takes
-- from X-Forwarded-For as it trusts 127.0.0.1 here), so every beacon is counted.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local n = 0
local body = '{"v":1,"item":"kangaba-attack-2017-06-18","event":"view","feed":"/feed.json"}'
request = function()
  n = n + 1
  local headers = {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["User-Agent"] = "Mozilla/5.0 Chrome/156.0 bench-" .. tostring(wrk.port) .. "-" .. tostring(id) .. "-" .. tostring(n),
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", id % 256, math.floor(n / 256) % 256, n % 256),
  }
  return wrk.format("POST", "/beacon", headers, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %f %f %f %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
LUA

# start_instances N DATABASE: starts N collectors on DATABASE; their ports in $ports.
start_instances() {
  ports=()
  for _ in $(seq "$1"); do
    local port
    port=$(free_port)
    target/release/depeche-collector --listen "127.0.0.1:$port" --feed www/feed.json --database "$2" \
      --rate-limit 0 --trust-proxy 127.0.0.1 --www "$dir" --pkg "$dir" >/dev/null 2>"$dir/collector-$port.log" &
    pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    ports+=("$port")
  done
}

stop_instances() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# run NAME STORED_COMMAND: one wrk per instance in $ports, connections shared out; one row.
run() {
  local name=$1 stored_cmd=$2 n=${#ports[@]}
  local per=$(( (connections + n - 1) / n ))
  local outs=() wrks=()
  for port in "${ports[@]}"; do
    wrk -t1 -c"$per" -d"$duration" --latency -s "$dir/beacon.lua" "http://127.0.0.1:$port/beacon" >"$dir/wrk-$port.out" 2>&1 &
    wrks+=($!)
    outs+=("$dir/wrk-$port.out")
  done
  for w in "${wrks[@]}"; do wait "$w" || true; done
  local stored
  stored=$(eval "$stored_cmd")
  cat "${outs[@]}" | awk -v name="$name" -v stored="$stored" '
    /^RESULT/ { req += $2; dur = ($3 > dur ? $3 : dur); p50 = ($4 > p50 ? $4 : p50); p99 = ($5 > p99 ? $5 : p99); err += $6 }
    END {
      printf "| %-28s | %10.0f | %7.2f | %7.2f | %12d | %10d | %s |\n", name, req / dur, p50, p99, req - err, stored,
        (stored >= req - err ? "yes" : "NO")
    }'
}

echo "wrk, $connections connections in all, $duration per run, on $(nproc) cores (one collector and wrk share them)"
echo
echo "| store | beacons/s | p50 ms | p99 ms | acknowledged | stored | nothing acknowledged lost |"
echo "|---|---:|---:|---:|---:|---:|---|"

start_instances 1 "sqlite:$dir/bench.db"
run "SQLite, 1 instance" "python3 -c \"import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\\\"select coalesce(sum(n),0) from counts where event='view'\\\").fetchone()[0])\" $dir/bench.db"
stop_instances

mkdir -p "$dir/pg"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir" "$dir/pg"; chmod 755 "$dir"; fi
as_postgres "$pg_bin/initdb" -D "$dir/pg/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
pg_port=$(free_port)
as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -o "-p $pg_port -k $dir/pg -c listen_addresses='' -c max_connections=200 ${PG_OPTIONS:-}" \
  -l "$dir/pg/log" -w start >/dev/null
psql_at() { psql -h "$dir/pg" -p "$pg_port" -U postgres -Atc "$2" "$1"; }
for db in bench1 bench3; do psql_at postgres "CREATE DATABASE $db" >/dev/null; done

start_instances 1 "postgres:host=$dir/pg port=$pg_port user=postgres dbname=bench1"
run "PostgreSQL, 1 instance" "psql_at bench1 \"select coalesce(sum(n),0) from counts where event='view'\""
stop_instances

start_instances 3 "postgres:host=$dir/pg port=$pg_port user=postgres dbname=bench3"
run "PostgreSQL, 3 instances" "psql_at bench3 \"select coalesce(sum(n),0) from counts where event='view'\""
stop_instances
echo
echo "(PostgreSQL 15 with its default synchronous_commit=on, as a throwaway cluster on a Unix socket."
echo " Stored can exceed acknowledged by the beacons committed whose answers were in flight when wrk stopped.)"

# Event streams: as many concurrent readers of GET /events as this machine allows on loopback
# (STREAMS, 10,000 by default: each is a socket at both ends), one publish, and the time
# until every reader has it; the collector's resident memory per open stream.
streams=${STREAMS:-10000}
ulimit -n $((2 * streams + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo
echo "Event streams: $streams readers on one collector (SQLite), one publish; limit of open files $(ulimit -n)"
echo
echo "| readers asked | connected | failed | connecting s | publish answered (ms) | heard it | p50 ms | p99 ms | max ms | KiB per stream |"
echo "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"
port=$(free_port)
# Every reader comes from 127.0.0.1 here: the per-address caps (64 connections, 8 streams)
# and the connection cap are raised to the readers asked for.
DEPECHE_MAX_CONNECTIONS=$((streams + 200)) DEPECHE_CONNECTIONS_PER_ADDRESS=$((streams + 200)) \
DEPECHE_STREAMS_PER_ADDRESS=$((streams + 200)) \
DEPECHE_PUBLISH_TOKEN=bench-token target/release/depeche-collector --listen "127.0.0.1:$port" --feed www/feed.json \
  --database "sqlite:$dir/streams.db" --max-streams $((streams + 100)) --www "$dir" --pkg "$dir" >/dev/null 2>"$dir/streams.log" &
pids+=($!)
collector_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
node scripts/bench-stream.mjs "http://127.0.0.1:$port" bench-token "$collector_pid" "$streams"
stop_instances

# What readers see: an alert reaching open pages by push, and by polling every 15 s and 60 s.
echo
node scripts/bench-push.mjs
