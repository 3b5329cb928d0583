#!/bin/sh
# make test's RUSTC_WORKSPACE_WRAPPER (scripts/test.sh): the workspace's own crates are compiled
# by clippy's driver, which lints them, warnings denied, and compiles them as rustc does. So
# the tests' build is also their lint, and the dependencies are compiled once for both rather
# than a second time in `cargo clippy`'s check mode. Dependencies are compiled by rustc alone.
exec clippy-driver "$@" -D warnings
