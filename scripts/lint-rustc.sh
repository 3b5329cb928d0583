#!/usr/bin/env bash
# make test's RUSTC_WORKSPACE_WRAPPER (scripts/test.sh): the workspace's own crates are compiled
# by clippy's driver, which lints them, warnings denied, and compiles them as rustc does. So
# the tests' build is also their lint, and the dependencies are compiled once for both rather
# than a second time in `cargo clippy`'s check mode. Dependencies are compiled by rustc alone.
# bash, not sh: dash drops the variables whose names are not a shell's, and the integration
# tests read `CARGO_BIN_EXE_depeche-collector` when they compile.
exec clippy-driver "$@" -D warnings
