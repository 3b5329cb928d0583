#!/usr/bin/env bash
# Runs every test suite, even after one fails, then repeats each runner's own summary lines.
# Fails if any suite fails or runs no test at all.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# The headless runner's limit is for the whole browser suite (20 s by default); a loaded
# machine can take longer to start Chromium and load the suite.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"
# The runner gives chromedriver 5 s to bind its port, then gives up without running a test
# ("driver failed to bind port during startup"): a cold chromedriver on a loaded machine took
# longer in CI (a driver wrapped in `sleep 6` reproduces it; 60 s lets it through).
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-60}"
# A clean clone (CI) gains nothing from incremental compilation's caches, which cost CPU to
# write (Cargo.toml's [profile.dev] says what the two together saved); a developer's next run does.
[ -z "${CI:-}" ] || export CARGO_INCREMENTAL=0
logs=$(mktemp -d)
failed=()
summaries=()

# suite NAME PATTERN COUNT_AWK -- COMMAND...: runs COMMAND, keeps the lines matching PATTERN,
# and counts the tests that ran with COUNT_AWK over them.
suite() {
  local name=$1 pattern=$2 count=$3 started=$SECONDS
  shift 4
  printf '\n=== %s: %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$logs/$name.log"
  account "$name" "$pattern" "$count" "${PIPESTATUS[0]}" "$started"
}

# suite_beside NAME PATTERN COUNT_AWK -- COMMAND...: as `suite`, started in the background;
# `suite_end NAME` waits for it, prints its output and counts it. For a suite that mostly
# waits on real time, run beside others that do too.
declare -A beside_pid beside_args beside_started
suite_beside() {
  local name=$1
  beside_args[$name]="$2"$'\x1f'"$3"
  beside_started[$name]=$SECONDS
  shift 4
  printf '\n=== %s (beside the next suites): %s\n' "$name" "$*"
  ( "$@" > "$logs/$name.log" 2>&1; echo $? > "$logs/$name.status" ) &
  beside_pid[$name]=$!
}
suite_end() {
  local name=$1 pattern count
  wait "${beside_pid[$name]}"
  IFS=$'\x1f' read -r pattern count <<< "${beside_args[$name]}"
  printf '\n=== %s: its output\n' "$name"
  cat "$logs/$name.log"
  account "$name" "$pattern" "$count" "$(cat "$logs/$name.status" 2>/dev/null || echo 1)" "${beside_started[$name]}"
}

# account NAME PATTERN COUNT_AWK STATUS STARTED: a suite's result, from its log.
account() {
  local name=$1 pattern=$2 count=$3 status=$4 started=$5
  local lines ran
  lines=$(grep -E "$pattern" "$logs/$name.log")
  ran=$(printf '%s\n' "$lines" | awk "$count")
  if [ "$status" -ne 0 ]; then
    failed+=("$name (exit $status)")
  elif [ "${ran:-0}" -eq 0 ]; then
    failed+=("$name (ran no test)")
  fi
  # Every test binary must run tests: one that says "0 passed; 0 failed" fails the run, so a
  # binary whose tests were all compiled out cannot hide inside a suite's total.
  local empty
  empty=$(printf '%s\n' "$lines" | grep -c ' 0 passed; 0 failed' || true)
  if [ "$empty" -gt 0 ]; then
    failed+=("$name ($empty test binaries ran no test)")
  fi
  # With its wall time, to see what makes the run long.
  summaries+=("--- $name: ${ran:-0} tests ran in $((SECONDS - started)) s")
  while IFS= read -r l; do
    [ -n "$l" ] && summaries+=("$l")
  done <<< "$lines"
}

# Checks that are not test suites (the sinks, the import cycles of dom/, pkg/ against the
# sources). A failure fails the run like a failing suite.
check() {
  local name=$1 started=$SECONDS
  shift
  printf '\n=== %s: %s\n' "$name" "$*"
  "$@" || failed+=("$name")
  summaries+=("--- $name: $((SECONDS - started)) s")
}
# check_beside NAME COMMAND...: as `check`, started in the background; `check_end NAME` waits
# for it, prints its output, and returns its status. Its time is until it ended, not until
# it was waited for (a subshell's SECONDS goes on from its parent's).
declare -A check_pid check_started
check_beside() {
  local name=$1
  shift
  printf '\n=== %s (beside the next steps): %s\n' "$name" "$*"
  check_started[$name]=$SECONDS
  ( "$@" > "$logs/$name.log" 2>&1; echo $? > "$logs/$name.status"; echo "$SECONDS" > "$logs/$name.ended" ) &
  check_pid[$name]=$!
}
check_end() {
  local name=$1 status
  wait "${check_pid[$name]}"
  cat "$logs/$name.log"
  status=$(cat "$logs/$name.status" 2>/dev/null || echo 1)
  [ "$status" = 0 ] || failed+=("$name (exit $status)")
  summaries+=("--- $name: $(($(cat "$logs/$name.ended" 2>/dev/null || echo "$SECONDS") - check_started[$name])) s")
  [ "$status" = 0 ]
}
check dom-cycles scripts/check-dom-cycles.sh
# pkg/ rebuilt from the sources (nightly, wasm32, its own target folder: no lock shared with
# the native build below, which it runs beside), then compared with the committed bytes
# before any suite serves it.
check_beside build scripts/build.sh

# The lints: clippy denies unwrap, expect and panic outside tests (Cargo.toml's [lints]), and
# every warning. The workspace's crates are compiled for the native, browser and Node suites by
# clippy's driver (scripts/lint-rustc.sh, a workspace wrapper): each build is also its lint.
# First, that the wrapper lints at all: it refuses a warning only clippy gives (an explicit
# `return` at a function's end), and compiles the same function without it.
lint_driver() {
  local dir
  dir=$(mktemp -d)
  printf 'pub fn f() -> u8 { return 1; }\n' > "$dir/bad.rs"
  printf 'pub fn f() -> u8 { 1 }\n' > "$dir/good.rs"
  local ok=0
  if scripts/lint-rustc.sh rustc --edition 2021 --crate-type lib --out-dir "$dir" "$dir/bad.rs" 2> "$dir/said"; then
    echo "scripts/lint-rustc.sh let clippy::needless_return through"; ok=1
  elif ! grep -q 'needless_return' "$dir/said"; then
    cat "$dir/said"; ok=1
  fi
  scripts/lint-rustc.sh rustc --edition 2021 --crate-type lib --out-dir "$dir" "$dir/good.rs" || ok=1
  rm -rf "$dir"
  return $ok
}
check lint-driver lint_driver
export RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/lint-rustc.sh"

# The wasm targets the suites' builds leave out, built (and so linted, through the wrapper)
# for `suite_beside`: every target of the crate for wasm32 (its unit tests and tests/sample.rs),
# then the library alone, as pkg/ builds it: the test targets' dev-dependency on the crate
# itself turns the `test-clock` feature on for the first, so the real timers are linted in
# the second. Built rather than checked: they share the dependencies the browser and Node
# suites build (`cargo clippy` compiled them all again in check mode).
lints() {
  local failed=0
  cargo test --target wasm32-unknown-unknown --all-targets --no-run --quiet || failed=$((failed + 1))
  cargo build --target wasm32-unknown-unknown --lib --quiet || failed=$((failed + 1))
  # The two commands, counted by `account` as a suite's tests are.
  echo "lints: $((2 - failed)) passed; $failed failed"
  [ "$failed" -eq 0 ]
}

cargo_count='{ for (i = 1; i <= NF; i++) if ($i ~ /^passed;?$/ || $i ~ /^failed;?$/) n += $(i-1) } END { print n + 0 }'
node_count='/^# (pass|fail) / { n += $3 } END { print n + 0 }'

# Everything the native tests need, compiled first: the end-to-end suite runs against the
# collector's debug build, which this makes (the release build would compile every dependency
# a second time: 92 s on a clean clone). `cargo test` builds it with the features its tests
# unify (`cargo build -p` would not, and would compile some crates again); through the wrapper
# above, it lints every native target of the workspace. Cargo names each test binary it built,
# with its package's folder: the native suite runs them itself.
check build-and-lint eval 'cargo test --workspace --no-run --quiet --message-format=json-render-diagnostics > "$logs/built.json"'
# The longest ones first (db_restart, store and instances: PostgreSQL's clusters started,
# stopped and frozen; 70 to 110 s each in a make test), so that none starts last beside an
# idle lane.
node -e '
  const slow = ["db_restart", "store", "instances"];
  const rank = (name) => (slow.includes(name) ? slow.indexOf(name) : slow.length);
  const built = require("fs").readFileSync(process.argv[1], "utf8").split("\n")
    .filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
    .filter((m) => m.reason === "compiler-artifact" && m.profile.test && m.executable);
  built.sort((a, b) => rank(a.target.name) - rank(b.target.name));
  for (const m of built) console.log(`${require("path").dirname(m.manifest_path)}\t${m.executable}`);
  ' "$logs/built.json" > "$logs/binaries.tsv"
export DEPECHE_COLLECTOR="$PWD/target/debug/depeche-collector"
built=false
if check_end build; then
  built=true
  check pkg scripts/check-pkg.sh
  # The sinks in the glue too, which only the build leaves (bundled into pkg/embed.js).
  check sinks scripts/check-sinks.sh
fi

# native_binaries: every native test binary, three at a time, each in its package's folder as
# `cargo test` would run it, then each one's output in turn. Three: the three longest mostly
# wait on PostgreSQL (started, stopped, frozen); in a make test they took 107, 77 and 100 s,
# and with two lanes two of them ran one after the other (the native suite took 193 s, 143 s
# with three). Not through cargo: it would wait for the lints' lock on target/ (cargo holds it
# while it builds, not while tests run).
native_binaries() {
  local out=$logs/native n=0 running=0 status=0 dir exe
  mkdir -p "$out"
  while IFS=$'\t' read -r dir exe; do
    n=$((n + 1))
    if [ "$running" -ge 3 ]; then wait -n; running=$((running - 1)); fi
    ( cd "$dir" && "$exe" > "$out/$n.log" 2>&1; echo $? > "$out/$n.status" ) &
    running=$((running + 1))
  done < "$logs/binaries.tsv"
  wait
  [ "$n" -gt 0 ] || { echo "no native test binary was built"; status=1; }
  n=0
  while IFS=$'\t' read -r dir exe; do
    n=$((n + 1))
    printf '     Running %s\n' "$exe"
    cat "$out/$n.log"
    [ "$(cat "$out/$n.status" 2>/dev/null)" = 0 ] || status=1
  done < "$logs/binaries.tsv"
  return $status
}

# Beside one another, the suites below that mostly wait: the end-to-end files, four at a time
# (rotations, refresh intervals, views held 1.5 s), and the collector's tests (PostgreSQL going
# away and coming back); each file or test starts its own collector on free ports, its own
# Chromium or cluster. The lints use the CPU they leave.
# Not against a pkg/ the build failed to make (it deletes the last one first): every file would
# fail on it, burying the build's own error.
if $built; then
  suite_beside e2e '^# (tests|pass|fail) ' "$node_count" -- node --test --test-concurrency=4 tests/e2e/
else
  failed+=("e2e (not run: pkg/ was not built)")
fi
suite_beside lints '^lints:' "$cargo_count" -- lints
suite native '^test result:' "$cargo_count" -- native_binaries
suite browser '^test result:' "$cargo_count" -- wasm-pack test --headless --chrome -- --test browser
suite node-wasm '^test result:' "$cargo_count" -- wasm-pack test --node -- --test node
suite_end lints
if $built; then suite_end e2e; fi

printf '\n=== summary\n'
[ ${#failed[@]} -eq 0 ] || printf 'FAILED: %s\n' "${failed[@]}"
printf '%s\n' "${summaries[@]}"
# Last, where a truncated CI log still shows it: the end of each failed suite's own output.
for f in "${failed[@]}"; do
  name=${f%% *}
  if [ -f "$logs/$name.log" ]; then
    printf '\n--- the last lines of %s:\n' "$name"
    grep -v '^test .* \.\.\. ok$' "$logs/$name.log" | tail -n 25
  fi
done
[ ${#failed[@]} -eq 0 ]
