#!/usr/bin/env bash
# swarm doctor --json is one valid object with schema_version and a line
# per check that matches the text output and the exit code; bad usage
# exits 2 with one line on stderr.
set -u
. "$(dirname "$0")/doctor_lib.sh.inc"

json=$($S doctor -n 50 --json); rc=$?
text=$($S doctor -n 50)
printf '%s' "$json" | python3 -c '
import json, sys
rc, text = int(sys.argv[1]), sys.argv[2].splitlines()
d = json.load(sys.stdin)
assert d["schema_version"] == 1
assert d["agents"] == 50 and d["shm_path"]
assert d["shm_need_bytes"] > 0 and d["fd_need"] == 64 + 3 * 50
names = [c["name"] for c in d["checks"]]
assert len(names) == len(set(names)) >= 12, names
for c in d["checks"]:
    assert set(c) == {"name", "status", "found", "fix"}, c
    assert c["status"] in ("OK", "WARN", "FAIL"), c
    assert c["found"], c
    assert (c["fix"] == "") == (c["status"] == "OK"), c
st = [c["status"] for c in d["checks"]]
assert d["counts"] == {"ok": st.count("OK"), "warn": st.count("WARN"), "fail": st.count("FAIL")}
assert d["result"] == ("FAIL" if "FAIL" in st else "WARN" if "WARN" in st else "OK")
assert rc == (1 if d["result"] == "FAIL" else 0), (rc, d["result"])
# the text output has the same checks with the same verdicts, in order
lines = [l.split()[:2] for l in text[:-1]]
assert lines == [[c["status"], c["name"]] for c in d["checks"]], lines
' "$rc" "$text" || fail "json check"

# Non-ASCII and quotes in a path stay valid JSON; control characters are refused.
$S doctor -n 1 --shm $'/nonexistent/"q\\uot\xe9"' --json | python3 -c 'import json,sys; json.load(sys.stdin)' ||
	fail "json with odd path"

for args in "-n 0" "-n abc" "-n -5" "-n 1000001" "-n" "--bogus" "extra" "--live 100G" "--live x" "--shm="; do
	err=$($S doctor $args 2>&1 >/dev/null); rc=$?
	[ $rc -eq 2 ] || fail "doctor $args: exit $rc, want 2"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "doctor $args: want one stderr line: $err"
	printf '%s' "$err" | grep -q '^swarm: doctor: ' || fail "doctor $args: message '$err'"
done
err=$($S doctor --shm $'/tmp/a\nOK   fake' 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] || fail "--shm with a newline: exit $rc, want 2"
printf '%s' "$err" | grep -q 'no control characters' || fail "newline path message: $err"
$S doctor --help | grep -q 'EXIT CODES' || fail "--help"
$S doctor --help >/dev/null; [ $? -eq 0 ] || fail "--help exit"
echo "doctor cli: json valid and consistent, usage errors exit 2"
