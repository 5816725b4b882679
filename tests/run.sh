#!/usr/bin/env bash
# Build smtpd and run every test: the README's test command, and what CI runs.
#   bash tests/run.sh            warnings as errors, build dir "build"
#   SANITIZE=1 bash tests/run.sh AddressSanitizer + UBSan, build dir "build-asan"
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/deps.sh

dir=build
opts=(-Dwerror=true)
if [ "${SANITIZE:-0}" = 1 ]; then
	dir=build-asan
	# shellcheck disable=SC2054 # the comma is meson's list separator
	opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
if [ -d "$dir" ]; then
	meson configure "$dir" "${opts[@]}" >/dev/null
else
	meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs ${MESON_TEST_ARGS:-}
