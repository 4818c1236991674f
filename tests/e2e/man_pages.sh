#!/usr/bin/env bash
# The man pages render without a groff warning, and agree with --help:
# every option a subcommand's --help names appears in its man page, and
# every exit code the help lists is in the page's EXIT STATUS. Every
# subcommand of `swarm --help` is in swarm(1), and every swarm page a
# page refers to exists.
set -u
S=${SWARM_BIN:-build/swarm}
T=${SWARM_TRACE_BIN:-build/swarm-trace}
root=${SWARM_ROOT:-.}
man=$root/man
fail() { echo "FAIL: $*"; exit 1; }
command -v groff > /dev/null || { echo "SKIP: groff missing (apt-get install groff-base)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

pages=("$man"/*.[1-8])
[ ${#pages[@]} -ge 8 ] || fail "only ${#pages[@]} man pages"
for p in "${pages[@]}"; do
	warn=$(groff -man -ww -z "$p" 2>&1)
	[ -z "$warn" ] || fail "groff warnings in $p: $warn"
	if command -v man > /dev/null; then
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 > /dev/null)
		[ -z "$warn" ] || fail "man warnings in $p: $warn"
	fi
done

# render PAGE: plain ASCII text, long lines, no hyphenation or overstrike.
render() { LC_ALL=C groff -man -Tascii -rLL=250n -rHY=0 -P-cbou "$1" 2>/dev/null; }
# options TEXT: --long and -s options named in a help text.
options() { grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*' | sed -E 's/^[^-]+//' | sort -u; }
# exit codes after the EXIT line of a help text: 0, 2, 124, 128+N ...
codes() { sed -n '/^EXIT/,/^$/p' | sed -E 's/\([^)]*\)//g' | grep -oE '(^|[ ,:])[0-9]+(\+N)?' | tr -d ' ,:' | sort -u; }
# section TEXT NAME: the lines of section NAME of a rendered page.
section() { awk -v s="$2" '/^[A-Z]/ { on = ($0 == s) ; next } on'; }

check() { # check HELP_CMD... -- PAGE SECTION
	local args=() page sect help text opt code n=0
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	page=$man/$2 sect=$3
	[ -f "$page" ] || fail "no man page $2 for '${args[*]}'"
	help=$("${args[@]}" 2>&1) || fail "'${args[*]}' exited $?"
	text=$(render "$page")
	for opt in $(printf '%s\n' "$help" | options); do
		printf '%s\n' "$text" | grep -qE -- "(^|[^A-Za-z0-9_-])$opt([^A-Za-z0-9]|$)" ||
			fail "'${args[*]}' names $opt; $2 does not"
		n=$((n + 1))
	done
	for code in $(printf '%s\n' "$help" | codes); do
		printf '%s\n' "$text" | section /dev/stdin "$sect" |
			grep -qE "(^|[^0-9+])${code/+/\\+}([^0-9]|$)" ||
			fail "'${args[*]}' exits $code; $2 ($sect) does not say so"
	done
	[ -n "$(printf '%s\n' "$help" | codes)" ] || fail "'${args[*]}' lists no exit codes"
	echo "  ${args[*]}: $n options, exit codes $(printf '%s\n' "$help" | codes | tr '\n' ' ')-> $2"
}

check "$S" --help -- swarm.1 "EXIT STATUS"
check "$T" --help -- swarm-trace.1 "EXIT STATUS"
for c in run send recv soak doctor gc coordinator; do
	check "$S" "$c" --help -- "swarm-$c.1" "EXIT STATUS"
done
for c in init ls; do check "$S" "$c" --help -- swarm-init.1 "EXIT STATUS"; done
for c in status pause resume; do check "$S" "$c" --help -- swarm-status.1 "EXIT STATUS"; done
check "$S" top --help -- swarm-top.1 "EXIT STATUS"
check "$S" demo-agent --help -- swarm.1 "BUILT-IN AGENT"
# destroy's help is one line without codes: its options at least.
for opt in $("$S" destroy --help | options); do
	render "$man/swarm-init.1" | grep -q -- "$opt" || fail "destroy: $opt not in swarm-init.1"
done

# Every subcommand in swarm --help is in swarm(1)'s SUBCOMMANDS.
subs=$(render "$man/swarm.1" | section /dev/stdin SUBCOMMANDS)
# (the list: the indented lines after USAGE, up to the first blank one)
for c in $("$S" --help | awk 'NR > 2 && /^$/ { exit } NR > 2 { print $1 }'); do
	printf '%s\n' "$subs" | grep -qE "(^|[ ,])$c(,|$| )" || fail "swarm.1 lacks subcommand $c"
done

# References to swarm pages resolve.
for ref in $(cat "${pages[@]}" | grep -ohE 'swarm(\\-[a-z-]+)? \([1-8]\)' | sed 's/\\-/-/g; s/ (/./; s/)//' | sort -u); do
	[ -f "$man/$ref" ] || fail "a page refers to $ref, which does not exist"
done
echo "man pages: no warnings, in step with --help"
