#!/usr/bin/env bash
# Runs the cargo-fuzz targets.
#   scripts/fuzz.sh 600      fuzz each target for 600 s from the committed seeds (make fuzz),
#                            printing libFuzzer's final line: executions, coverage, corpus
#   scripts/fuzz.sh replay   run every committed seed once through each target (make test):
#                            deterministic, so a test run never fails on a new random find
#   scripts/fuzz.sh 600 source_map   the same for the targets named only
# Inputs that fail land in fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
mode=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(feed_to_view html_allowlist source_map)
# cargo-fuzz needs a nightly: the one pinned for pkg/, which scripts/setup.sh installs.
nightly=$(sed -n 's/^NIGHTLY=//p' ../scripts/build.sh)
status=0
for target in "${targets[@]}"; do
  log=$(mktemp)
  cargo "+$nightly" fuzz build "$target" >"$log" 2>&1 || { status=1; tail -n 30 "$log"; continue; }
  if [ "$mode" = replay ]; then
    echo "=== fuzz $target: replaying $(ls "seeds/$target" | wc -l) seeds"
    scratch=$(mktemp -d)
    cp "seeds/$target"/* "$scratch"/
    args=("$scratch" -- -runs=0)
  else
    echo "=== fuzz $target for ${mode}s"
    mkdir -p "corpus/$target"
    args=("corpus/$target" "seeds/$target" -- -max_total_time="$mode" -print_final_stats=1)
  fi
  if cargo "+$nightly" fuzz run "$target" "${args[@]}" >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -1
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log"
  else
    status=1
    tail -n 30 "$log"
    echo "fuzz $target: FAILED (inputs that fail are in fuzz/artifacts/$target)"
  fi
  rm -f "$log"
done
exit $status
