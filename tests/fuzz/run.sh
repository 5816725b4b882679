#!/usr/bin/env bash
# Build the libFuzzer targets with clang + ASan/UBSan and run each for a
# bounded time, from the committed seed corpus.  Fails when a target finds
# a crash, a leak, a sanitizer report or a timeout.
#   FUZZ_SECONDS=60 bash tests/fuzz/run.sh          all targets
#   FUZZ_SECONDS=10 bash tests/fuzz/run.sh fuzz_data one target
# Prints executions per second and coverage (cov: edges, ft: features) per
# target.  Crash inputs are kept in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-60}
dir=build-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_command fuzz_address fuzz_data fuzz_config fuzz_session fuzz_sasl fuzz_proxy fuzz_milter fuzz_dsn fuzz_dns)

bash .ci/deps.sh
if [ -d "$dir" ]; then
	meson configure "$dir" -Dfuzzing=true >/dev/null
else
	CC=clang meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$dir" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$dir/artifacts" "$dir/corpus"
failed=()
printf '%-14s %10s %10s %8s %8s %8s %s\n' target execs exec/s cov edges ft result
for t in "${targets[@]}"; do
	seeds=tests/fuzz/corpus/$t
	work=$dir/corpus/$t	# grows across runs; the committed seeds stay as they are
	log=$dir/artifacts/$t.log
	mkdir -p "$work"
	# a target's own dictionary (proxy.dict for fuzz_proxy), else SMTP's
	dict=tests/fuzz/${t#fuzz_}.dict
	[ -f "$dict" ] || dict=tests/fuzz/smtp.dict
	rc=0
	timeout -k 10 $((seconds + 120)) "$dir/tests/fuzz/$t" \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-dict="$dict" -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$t-" \
		"$work" "$seeds" >"$log" 2>&1 || rc=$?
	# a crashed target skips its atexit clean-up of its scratch dir
	rm -rf /dev/shm/"$t".* 2>/dev/null || true
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 || true)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
	# instrumented edges in the binary (harness and core): cov's denominator
	edges=$(sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
	result=ok
	if [ "$rc" -ne 0 ]; then
		result="FAILED (exit $rc, see $log)"
		failed+=("$t")
	fi
	printf '%-14s %10s %10s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${edges:-?}" "${ft:-?}" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
	for t in "${failed[@]}"; do
		echo "== $t"
		grep -E -A30 'ERROR|WARNING: |SUMMARY|deadly' "$dir/artifacts/$t.log" | head -60
	done
	exit 1
fi
