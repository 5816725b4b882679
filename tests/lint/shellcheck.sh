#!/usr/bin/env bash
# Runs shellcheck over every shell script and bats file in the repository (a CI
# stage, .ci/run).  Errors and warnings fail; so does a bare `! cmd` in a
# bats test (SC2314/SC2315, "notes" to shellcheck): under bats it can never
# fail the test it sits in.  Settings: .shellcheckrc.
set -euo pipefail
cd "$(dirname "$0")/../.."

files=()
while IFS= read -r f; do
	case $f in
	*.sh | *.bats | *.bash) files+=("$f") ;;
	*)
		# scripts without an extension (.ci/run, bench/run, try.sh)
		head -c 64 "$f" 2>/dev/null | head -n 1 | grep -q -E '^#!.*\b(ba)?sh\b' && files+=("$f")
		;;
	esac
done < <(git ls-files 2>/dev/null || find . -path ./build -prune -o -path './build-*' -prune -o -type f -print)

echo "shellcheck: ${#files[@]} files"
rc=0
shellcheck --severity=warning "${files[@]}" || rc=1
shellcheck --severity=info --include=SC2314,SC2315 "${files[@]}" || rc=1
exit $rc
