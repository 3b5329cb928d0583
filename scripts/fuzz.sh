#!/usr/bin/env bash
# Runs each cargo-fuzz target for SECONDS (default 600) from the committed seeds, and prints
# libFuzzer's final line (executions, coverage, corpus). Crashes land in fuzz/artifacts/.
#   scripts/fuzz.sh 600        the long run, as `make fuzz` does
#   scripts/fuzz.sh 15         the short run `make test` does
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
status=0
for target in feed_to_view html_allowlist; do
  mkdir -p "corpus/$target"
  log=$(mktemp)
  echo "=== fuzz $target for ${seconds}s"
  cargo +nightly fuzz build "$target" >"$log" 2>&1 || { status=1; tail -n 30 "$log"; continue; }
  if cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log"
  else
    status=1
    tail -n 30 "$log"
    echo "fuzz $target: FAILED (inputs that fail are in fuzz/artifacts/$target)"
  fi
  rm -f "$log"
done
exit $status
