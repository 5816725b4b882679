#!/usr/bin/env bash
# check-man.sh: the manual pages render cleanly and agree with the code.
#
#   check-man.sh --smtpd BIN --source DIR PAGE...
#
# PAGEs are the generated pages (build dir).  Prints TAP.  Checks:
#   - each page renders with groff -man -ww without a single warning;
#   - no @VARIABLE@ is left unsubstituted by configure_file();
#   - every option key declared in config/config.c and in the files of the
#     configuration modules (CFG_* lines) is a
#     ".B KEY" / ".BR KEY" tag in smtpd.conf.5;
#   - every option of handlers/server.c is documented in smtpd.8, and
#     EXIT STATUS lists exactly the codes server.c returns (and 0);
#   - the default configuration path printed by smtpd --help is the one
#     in smtpd.8;
#   - the example configurations of smtpd.conf.5 marked ".\" check: config"
#     pass smtpd --check.
set -euo pipefail

smtpd='' src=''
pages=()
while [ $# -gt 0 ]; do
	case "$1" in
	--smtpd) smtpd=$2; shift 2 ;;
	--source) src=$2; shift 2 ;;
	*) pages+=("$1"); shift ;;
	esac
done
if [ -z "$smtpd" ] || [ -z "$src" ] || [ ${#pages[@]} -eq 0 ]; then
	echo "usage: $0 --smtpd BIN --source DIR PAGE..." >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1
	echo "not ok $n - $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

page_named() {
	for p in "${pages[@]}"; do
		[ "$(basename "$p")" = "$1" ] && { echo "$p"; return 0; }
	done
	echo "no page $1 among: ${pages[*]}" >&2
	return 1
}

# ---- every page renders without warnings ------------------------------------
for p in "${pages[@]}"; do
	name=$(basename "$p")
	# -ww: all warnings; -Tutf8 at the default 78n line length, as man(1)
	# formats for an 80-column terminal; -t: pages may use tables.
	if ! groff -t -man -Tutf8 -ww -z "$p" 2>"$tmp/warn"; then
		not_ok "$name renders" "groff failed:" "$(cat "$tmp/warn")"
	elif [ -s "$tmp/warn" ]; then
		not_ok "$name renders without warnings" "$(cat "$tmp/warn")"
	else
		ok "$name renders without warnings"
	fi
	if grep -nE '@[A-Za-z_]+@' "$p" >"$tmp/left"; then
		not_ok "$name: every @VARIABLE@ substituted" "$(cat "$tmp/left")"
	else
		ok "$name: every @VARIABLE@ substituted"
	fi
	if LC_ALL=C grep -n '[^[:print:][:space:]]' "$p" >"$tmp/bytes"; then
		not_ok "$name: ASCII source (use groff escapes)" "$(cat "$tmp/bytes")"
	else
		ok "$name: ASCII source (use groff escapes)"
	fi
done

conf5=$(page_named smtpd.conf.5)
smtpd8=$(page_named smtpd.8)

# ---- every configuration key is documented ----------------------------------
# config.c's core keys, and the keys of every configuration module
# (config/module.h: a file that declares ".place = MODULE_...")
modules=$(grep -rlE '\.place = MODULE_' "$src" --include='*.c' --exclude-dir='build*' --exclude-dir=tests || true)
keys=$(grep -ohE 'CFG_[A-Z_]+\("[A-Za-z]+"' "$src/config/config.c" $modules | sed -E 's/.*"(.*)"/\1/' | sort -u)
nkeys=$(printf '%s\n' "$keys" | grep -c .)
if [ "$nkeys" -lt 30 ]; then
	not_ok "config.c declares the keys" "found only $nkeys CFG_ keys: has config.c changed shape?"
else
	ok "config.c declares $nkeys keys"
fi
missing=()
for k in $keys; do
	grep -qE "^\.BR? $k( |\$)" "$conf5" || missing+=("$k")
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "every key of config.c is a tag in smtpd.conf.5"
else
	not_ok "every key of config.c is a tag in smtpd.conf.5" "undocumented: ${missing[*]}"
fi

# ---- smtpd.8 options and exit codes match server.c --------------------------
server_c="$src/handlers/server.c"
longs=$(grep -oE '\{ "[a-z]+", (no|required|optional)_argument' "$server_c" | sed -E 's/\{ "([a-z]+)".*/\1/')
shorts=$(grep -oE 'getopt_long\(argc, argv, "[^"]*"' "$server_c" | sed -E 's/.*"(.*)"/\1/' | tr -d ':' | fold -w1)
missing=()
[ -n "$longs" ] || missing+=("(no long options found in server.c)")
[ -n "$shorts" ] || missing+=("(no short options found in server.c)")
for o in $longs; do
	grep -qF -- "\\-\\-$o" "$smtpd8" || missing+=("--$o")
done
for o in $shorts; do
	grep -qE -- "^\.(B|BI|BR|OP) \\\\-$o( |\$)" "$smtpd8" || missing+=("-$o")
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "every option of server.c is in smtpd.8"
else
	not_ok "every option of server.c is in smtpd.8" "missing: ${missing[*]}"
fi

# The codes server.c returns: 0 and each EXIT_* it names, valued from server.h.
want=$( {
	echo 0
	for e in $(grep -oE 'EXIT_[A-Z]+' "$server_c" | sort -u); do
		sed -nE "s/^#define $e ([0-9]+).*/\1/p" "$src/handlers/server.h"
	done
} | sort -n | tr '\n' ' ')
have=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$smtpd8" | sed -nE 's/^\.B ([0-9]+)$/\1/p' | sort -n | tr '\n' ' ')
if [ "$want" = "$have" ]; then
	ok "EXIT STATUS lists exactly the codes server.c returns ($want)"
else
	not_ok "EXIT STATUS lists exactly the codes server.c returns" "server.c: $want" "smtpd.8:  $have"
fi

# ---- the default configuration path ------------------------------------------
default=$("$smtpd" --help | sed -nE 's/.*\(default (\/[^)]*)\).*/\1/p')
if [ -z "$default" ]; then
	not_ok "smtpd --help names the default configuration" "$("$smtpd" --help)"
elif grep -qF "$default" "$smtpd8"; then
	ok "smtpd.8 names the default configuration $default"
else
	not_ok "smtpd.8 names the default configuration $default" "not found in $smtpd8"
fi

# ---- the example configurations pass --check --------------------------------
# Blocks: ".\" check: config", then .RS/.EX ... .EE; roff escapes undone.
awk '
	/^\.\\" check: config/ { want = 1; next }
	want && /^\.EX/ { inside = 1; next }
	inside && /^\.EE/ { inside = 0; want = 0; print ""; next }
	inside { print }
' "$conf5" | sed -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e 's/\\(aq/'"'"'/g' \
	-e 's/\\e/\\/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' >"$tmp/example.conf"
nblocks=$(grep -c '^smtpserver\|^lmtpserver' "$tmp/example.conf" || true)
if [ "$nblocks" -lt 3 ]; then
	not_ok "smtpd.conf.5 has example configurations" "found $nblocks listener blocks"
elif "$smtpd" --check -c "$tmp/example.conf" >"$tmp/check" 2>&1; then
	ok "the $nblocks example listeners of smtpd.conf.5 pass smtpd --check"
else
	not_ok "the example listeners of smtpd.conf.5 pass smtpd --check" "$(cat "$tmp/check")" "--- the file:" "$(cat -n "$tmp/example.conf")"
fi

echo "1..$n"
exit $failed
