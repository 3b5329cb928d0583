#!/usr/bin/env bash
# Runs the end-to-end suite N times in a row as `make test` runs it (four files at a time,
# against the collector's debug build), with one core kept busy by a spinning process, and
# prints each run's failing tests and the total: a test that fails one run in twenty shows
# here, not in someone's CI.
# Usage: scripts/soak.sh N [FILE...]   (the files default to the whole suite, tests/e2e/)
# The runs' full output stays in the directory printed at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-}
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/soak.sh N [FILE...]" >&2
  exit 2
fi
shift
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/e2e/)
export PATH="$PWD/node_modules/.bin:$PATH"
# As scripts/test.sh sets it: the debug build its Rust tests make.
export DEPECHE_COLLECTOR="${DEPECHE_COLLECTOR:-$PWD/target/debug/depeche-collector}"
if [ ! -x "$DEPECHE_COLLECTOR" ]; then
  echo "no collector at $DEPECHE_COLLECTOR (cargo build -p depeche-collector)" >&2
  exit 2
fi

# One core kept busy, as another job on a shared CI machine would. Stopped by its own id.
( while :; do :; done ) &
busy=$!
trap 'kill "$busy" 2>/dev/null' EXIT

logs=$(mktemp -d -t depeche-soak.XXXXXX)
failures=0
failed_runs=0
echo "soak: $runs runs of ${files[*]}, one core busy (pid $busy), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
  started=$SECONDS
  node --test --test-concurrency=4 "${files[@]}" > "$logs/run-$i.log" 2>&1
  status=$?
  # node's TAP: each failing test is a `not ok` line, followed by its location and the kind
  # of failure; a suite (or file) that failed only because a test in it did is left out.
  failing=$(awk '
    /^ *not ok [0-9]+ - / { sub(/^ *not ok [0-9]+ - /, ""); name = $0; loc = ""; next }
    /^ *location: / { loc = $2; gsub(/\x27/, "", loc); sub(/^.*\/tests\//, "tests/", loc); next }
    /^ *failureType: / && name != "" {
      if ($2 != "\x27subtestsFailed\x27") print "  FAIL " loc " " name
      name = ""
    }' "$logs/run-$i.log")
  count=$(grep -E '^# fail [0-9]+' "$logs/run-$i.log" | awk '{ n += $3 } END { print n + 0 }')
  passed=$(grep -E '^# pass [0-9]+' "$logs/run-$i.log" | awk '{ n += $3 } END { print n + 0 }')
  # A run that fails without a failing test (a crash, no test at all) is a failure too.
  if [ "$status" -ne 0 ] && [ "$count" -eq 0 ]; then
    count=1
    failing="  FAIL the run itself (exit $status, no failing test reported)"
  fi
  if [ "$passed" -eq 0 ] && [ "$count" -eq 0 ]; then
    count=1
    failing="  FAIL the run itself (no test ran)"
  fi
  printf 'run %d/%d: %d passed, %d failed, %d s, load %s\n' "$i" "$runs" "$passed" "$count" $((SECONDS - started)) "$(cut -d' ' -f1 /proc/loadavg)"
  [ -n "$failing" ] && printf '%s\n' "$failing"
  failures=$((failures + count))
  [ "$count" -eq 0 ] || failed_runs=$((failed_runs + 1))
done
echo "soak: $failures failures in $failed_runs of $runs runs (logs: $logs)"
[ "$failures" -eq 0 ]
