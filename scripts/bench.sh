#!/usr/bin/env bash
# Loads the collector on loopback with wrk: distinct visitors sending view beacons.
# Prints beacons/s and latency percentiles. A measurement, not a test: it asserts nothing.
#   DURATION=10s CONNECTIONS=32 THREADS=2 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/depeche-collector --listen "127.0.0.1:$port" --feed www/feed.json --db "$dir/bench.db" \
  --rate-limit 0 --www "$dir" --pkg "$dir" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat > "$dir/beacon.lua" <<'LUA'
-- Every request is a new visitor (its own User-Agent), so every beacon is counted.
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
    ["User-Agent"] = "Mozilla/5.0 Chrome/156.0 bench-" .. tostring(id) .. "-" .. tostring(n),
  }
  return wrk.format("POST", "/beacon", headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("beacons/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("p%d latency: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
echo "wrk -t$threads -c$connections -d$duration against the collector (SQLite WAL, synchronous=NORMAL)"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$dir/beacon.lua" "http://127.0.0.1:$port/beacon"
stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select coalesce(sum(n),0) from counts where event='view'\").fetchone()[0])" "$dir/bench.db")
echo "views stored: $stored (every request was a new visitor, so this should equal the requests)"
