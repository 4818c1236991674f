#!/usr/bin/env bash
# `swarm gc`: the bus and cgroup of a SIGKILLed master are removed, while
# a live swarm running beside it, a `swarm init` bus, a --keep'd bus, a
# directory that is not a bus and a symlink are left alone; --dry-run
# removes nothing; a dead swarm whose cgroup still has processes is kept
# until they are gone. Everything lives in a private SWARM_SHM.
set -u
. "$(dirname "$0")/lib/run_common.bash"
export SWARM_SHM=$TMP/shm
mkdir -m 700 "$SWARM_SHM"
pids=()
cleanup() { # on failure too: no process, cgroup or dir of ours survives
	local p f
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for f in "$SWARM_SHM"/swarm-*/cgroup; do
		[ -f "$f" ] && [ -d "$(cat "$f")" ] || continue
		echo 1 > "$(cat "$f")/cgroup.kill"; sleep 0.2; rmdir "$(cat "$f")" 2>/dev/null
	done
	pkill -9 -f "$TMP/agent.sh" 2>/dev/null
	[ -n "${nap_a:-}" ] && pkill -9 -f "sleep $nap_a" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The bus dir whose master.pid is $1 (waits for it, up to 30 s).
bus_of() {
	local f i
	for i in $(seq 600); do
		for f in "$SWARM_SHM"/swarm-*/master.pid; do
			[ "$(cat "$f" 2>/dev/null)" = "$1" ] && { dirname "$f"; return 0; }
		done
		sleep 0.05
	done
	return 1
}
wait_lines() { # FILE N: until FILE has N lines (up to 30 s)
	local i
	for i in $(seq 600); do
		[ "$(wc -l < "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
cg_empty() { # CGROUP: until it has no process (up to 30 s)
	local i
	for i in $(seq 600); do
		grep -q '^populated 0' "$1/cgroup.events" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Agents: each leaves a grandchild (sleep) that outlives it when the
# master and the agent are SIGKILLed (the agents die with their parent).
cat > "$TMP/agent.sh" <<'AGENT'
#!/bin/sh
sleep "$NAP" &
echo "$SWARM_AGENT" >> "$MARKS"
wait
AGENT
chmod +x "$TMP/agent.sh"

# Swarm A: to be killed. Swarm B: stays alive throughout.
nap_a=$((1000 + RANDOM)).$$
MARKS=$TMP/marks.a NAP=$nap_a "$S" run -n 2 --timeout 120 --logs "$TMP/la" -- "$TMP/agent.sh" >/dev/null 2>&1 &
a=$!; pids+=($a)
MARKS=$TMP/marks.b NAP=120 "$S" run -n 2 --timeout 120 --json --logs "$TMP/lb" -- "$TMP/agent.sh" >"$TMP/b.json" 2>/dev/null &
b=$!; pids+=($b)
bus_a=$(bus_of $a) || fail "no bus for swarm A"
bus_b=$(bus_of $b) || fail "no bus for swarm B"
wait_lines "$TMP/marks.a" 2 || fail "swarm A agents did not start"
wait_lines "$TMP/marks.b" 2 || fail "swarm B agents did not start"
cg_a=$(cat "$bus_a/cgroup" 2>/dev/null)

# Neighbours gc must leave alone.
init_bus=$("$S" init) || fail "swarm init"
"$S" run -n 1 --keep --json --logs "$TMP/lk" -- echo {} >"$TMP/k.json" 2>/dev/null || fail "run --keep"
kept_bus=$(jget "$TMP/k.json" 'd["bus_dir"]')
[ -d "$kept_bus" ] || fail "--keep did not keep $kept_bus"
mkdir -m 700 "$SWARM_SHM/swarm-notabus"; touch "$SWARM_SHM/swarm-notabus/owner.lock"
mkdir -m 700 "$TMP/elsewhere"; cp -a "$bus_a" "$TMP/elsewhere/copy"
ln -s "$TMP/elsewhere/copy" "$SWARM_SHM/swarm-link"

kill -9 $a; wait $a 2>/dev/null
[ -d "$bus_a" ] || fail "bus of the killed master already gone?"

if [ -n "$cg_a" ]; then
	# Orphaned grandchildren keep A's cgroup populated: kept, exit 1.
	[ -d "$cg_a" ] || fail "cgroup $cg_a missing before gc"
	"$S" gc >"$TMP/gc1.out" 2>"$TMP/gc1.err"; rc=$?
	[ $rc -eq 1 ] || fail "gc with a populated cgroup: exit $rc, want 1: $(cat "$TMP/gc1.out")"
	grep -q "^kept $bus_a: .*processes remain in cgroup $cg_a" "$TMP/gc1.out" || fail "kept line: $(cat "$TMP/gc1.out")"
	[ -d "$bus_a" ] && [ -d "$cg_a" ] || fail "gc removed a swarm whose cgroup has processes"
	"$S" gc --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [s["verdict"] for s in d["swarms"]] == ["kept"], d' ||
		fail "gc --json: kept verdict"
	echo 1 > "$cg_a/cgroup.kill"
	cg_empty "$cg_a" || fail "cgroup $cg_a did not empty"
else
	echo "note: no cgroup v2 here: the cgroup part is not exercised"
	pkill -9 -f "sleep $nap_a" 2>/dev/null
fi
"$S" gc --dry-run >"$TMP/gc0.out" 2>"$TMP/gc0.err"; rc=$?
[ $rc -eq 0 ] || fail "dry run: exit $rc"
grep -q "^would remove $bus_a" "$TMP/gc0.out" || fail "dry run: $(cat "$TMP/gc0.out" "$TMP/gc0.err")"
[ -d "$bus_a" ] || fail "dry run removed $bus_a"
[ -z "$cg_a" ] || [ -d "$cg_a" ] || fail "dry run removed $cg_a"
"$S" gc --dry-run --json >"$TMP/gcj.json" 2>/dev/null || fail "dry run --json: exit $?"
python3 - "$TMP/gcj.json" "$bus_a" "$cg_a" <<'PY' || fail "gc --json: $(cat "$TMP/gcj.json")"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"bus": sys.argv[2], "cgroup": sys.argv[3] or None, "verdict": "removed", "reason": ""}
assert d["schema_version"] == 1 and d["dry_run"] is True, d
assert d["swarms"] == [want], d["swarms"]
assert d["live"] == 1 and d["unowned"] == 2, d
PY
"$S" gc >"$TMP/gc2.out" 2>"$TMP/gc2.err"; rc=$?
[ $rc -eq 0 ] || fail "gc: exit $rc: $(cat "$TMP/gc2.out" "$TMP/gc2.err")"
[ "$(wc -l < "$TMP/gc2.out")" -eq 1 ] || fail "gc removed more than A: $(cat "$TMP/gc2.out")"
grep -q "^removed $bus_a" "$TMP/gc2.out" || fail "gc output: $(cat "$TMP/gc2.out")"
[ -e "$bus_a" ] && fail "gc left $bus_a"
if [ -n "$cg_a" ]; then
	grep -q "and cgroup $cg_a\$" "$TMP/gc2.out" || fail "gc did not name the cgroup: $(cat "$TMP/gc2.out")"
	[ -e "$cg_a" ] && fail "gc left cgroup $cg_a"
fi
grep -q "1 dead swarm removed, 1 live left alone, 2 without an owner lock" "$TMP/gc2.err" ||
	fail "summary: $(cat "$TMP/gc2.err")"
for d in "$bus_b" "$init_bus" "$kept_bus" "$SWARM_SHM/swarm-notabus" "$TMP/elsewhere/copy"; do
	[ -d "$d" ] || fail "gc removed $d"
done
[ -L "$SWARM_SHM/swarm-link" ] || fail "gc removed the symlink"
[ -f "$TMP/elsewhere/copy/meta" ] || fail "gc followed the symlink"
kill -0 $b 2>/dev/null || fail "the live swarm died"
"$S" gc >/dev/null 2>&1 || fail "second gc"
[ -d "$bus_b" ] || fail "second gc removed the live swarm"

# The live swarm still works: stopped by SIGTERM, it cleans up itself.
kill -TERM $b; wait $b; rc=$?
[ $rc -eq 143 ] || fail "live swarm: exit $rc after SIGTERM, want 143"
check_clean "$TMP/b.json"
"$S" gc --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option: want exit 2"
"$S" gc --base "$TMP/nonexistent" >/dev/null 2>&1; [ $? -eq 3 ] || fail "missing base: want exit 3"
echo "ok: gc removed the killed swarm ($bus_a${cg_a:+, $cg_a}) and nothing else"
