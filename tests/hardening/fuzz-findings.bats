#!/usr/bin/env bats
# Regressions for what the fuzz targets found (tests/fuzz): each input is
# also in tests/fuzz/corpus/fuzz_config/regress_*.

load helpers

setup() {
	setup_hardening
	BAD="$T/bad.conf"
}

@test "fuzz_config: an empty key ('') fails with a FILE:LINE message, not silently" {
	printf "''" >"$BAD"
	run "$SMTPD" -c "$BAD" --check
	assert_failure 78
	assert_output "$BAD:1: syntax error"
}

@test "fuzz_config: an unterminated string at the end of the file is an error" {
	printf 'domains = { "example.org" }\nspool = "/x" "' >"$BAD"
	run "$SMTPD" -c "$BAD" --check
	assert_failure 78
	assert_output "$BAD:2: unterminated string"
	printf 'domains = { "example.org" }\n/* "\n*/ spool = "/x\n' >"$BAD"
	run "$SMTPD" -c "$BAD" --check
	assert_failure 78
	assert_output "$BAD:3: unterminated string"
}

@test "fuzz_config: quotes inside comments are not strings" {
	printf '# it'"'"'s "quoted\ndomains = { "example.org" } // don'"'"'t\n/* "a\n\n */ spool = "/x"\n' >"$BAD"
	run "$SMTPD" -c "$BAD" --check
	assert_success
}

@test "fuzz_config: a diagnostic is one line even when the bad value holds a newline" {
	printf "'\n'\n" >"$BAD"
	run "$SMTPD" -c "$BAD" --check
	assert_failure 78
	[ "${#lines[@]}" -eq 1 ]
	assert_output "$BAD:2: no such option '?'"
}
