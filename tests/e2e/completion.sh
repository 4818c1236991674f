#!/usr/bin/env bash
# bash completion: subcommands, each subcommand's options (from its
# --help), bus directories for --dir, inbox names for --to, the agents'
# command after --, and swarm-trace's signals and options.
set -u
S=${SWARM_BIN:-build/swarm}
T=${SWARM_TRACE_BIN:-build/swarm-trace}
root=${SWARM_ROOT:-.}
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SWARM_SHM=$tmp/shm
mkdir -p "$SWARM_SHM"
bindir=$(cd "$(dirname "$S")" && pwd)
PATH=$bindir:$(cd "$(dirname "$T")" && pwd):$PATH
. "$root/completions/swarm.bash"
. "$root/completions/swarm-trace.bash"
command -v compopt > /dev/null || compopt() { :; }

# complete FUNC WORD... : COMPREPLY for the last word, one per line.
complete_line() {
	local fn=$1; shift
	COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
	"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}"
}
has() { grep -qxF -- "$2" <<< "$1" || fail "completing '$3': want '$2', got: $(tr '\n' ' ' <<< "$1")"; }
hasnt() { ! grep -qxF -- "$2" <<< "$1" || fail "completing '$3': '$2' should not be offered"; }

out=$(complete_line _swarm swarm ""); for c in init send recv run soak doctor gc status; do has "$out" "$c" "swarm"; done
out=$(complete_line _swarm swarm r); has "$out" run "swarm r"; has "$out" recv "swarm r"; hasnt "$out" send "swarm r"
out=$(complete_line _swarm swarm --v); has "$out" --version "swarm --v"
out=$(complete_line _swarm swarm run --); for o in --tasks --metrics-listen --no-trace --coordinators --timeline; do has "$out" "$o" "swarm run --"; done
out=$(complete_line _swarm swarm recv --); has "$out" --peek "swarm recv --"; hasnt "$out" --batch "swarm recv --"
out=$(complete_line _swarm swarm run --topology ""); has "$out" hybrid "--topology"
out=$(complete_line _swarm swarm send --type s); has "$out" stop "--type s"
out=$(complete_line _swarm swarm t); has "$out" top "swarm t"
out=$(complete_line _swarm swarm top --); for o in --dir --interval --count --plain --json; do has "$out" "$o" "swarm top --"; done

dir=$("$S" init) || fail "init"
"$S" send --dir "$dir" --from alice --to bob hi || fail "send"
out=$(complete_line _swarm swarm recv --dir ""); has "$out" "$dir" "--dir"
out=$(complete_line _swarm swarm top --dir ""); has "$out" "$dir" "top --dir"
out=$(complete_line _swarm swarm send --dir "$dir" --to b); has "$out" bob "--to b"; hasnt "$out" alice "--to b"
out=$(SWARM_DIR=$dir complete_line _swarm swarm recv --as a); has "$out" alice "--as a (SWARM_DIR)"
out=$(complete_line _swarm swarm run -n 2 -- sh -c); [ -n "$out" ] || true   # after --: the command's own
out=$(complete_line _swarm swarm run -n 2 -- swarm-tra); has "$out" swarm-trace "after --"
"$S" destroy --dir "$dir"

out=$(complete_line _swarm_trace swarm-trace f); has "$out" flock "swarm-trace f"; has "$out" fd "swarm-trace f"
out=$(complete_line _swarm_trace swarm-trace --v); has "$out" --version "swarm-trace --v"; has "$out" --verbose "swarm-trace --v"
out=$(complete_line _swarm_trace swarm-trace -p $$); has "$out" "$$" "-p PID"
out=$(complete_line _swarm_trace swarm-trace --t); has "$out" --timeline "swarm-trace --t"

command -v zsh > /dev/null && { zsh -n "$root/completions/_swarm" || fail "zsh completion syntax"; }
echo "completion: subcommands, options, buses, inboxes"
