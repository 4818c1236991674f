#!/usr/bin/env python3
"""Check one NATS netns run and summarise it (tests/e2e/nats_netns*.sh,
bench/nats_netns.sh).

    netns_check.py REPORT RESULTS TASKS [--lost COORD HOST MARKS T_US]

REPORT is the master's --json report, RESULTS its --results lines, each
prefixed with its arrival time in unix microseconds (lib/stamp_lines.py;
plain lines are accepted, then no latency), TASKS the task file. The
agent's output is "task <input> on <host> end <unix-us>" (netns_agent).

Asserts what every run must show, whatever its faults: every task
delivered, each exactly once in the results, with its own output, the
report agreeing. Prints one JSON line: delivered, coordination_s, result
latency min/p50/p95 (ms: the agent's end to the master's line), tasks per
host, redeliveries, duplicates dropped, reconnects and failovers.

--lost COORD HOST MARKS T_US: coordinator COORD (of host HOST, as the
agents' MARKS lines name it) was killed or cut off at T_US: asserts the
master declared it dead once and every task it had handed back was taken
again, and adds "lost": its failover record, "moved" (tasks it held that
ran elsewhere), "again_max_s" (from T_US until the last of them started
elsewhere, seen in MARKS), "unreported" (redelivered tasks whose first
delivery nobody reported: they waited for AckWait)."""
import json
import re
import sys


def pct(v, q):
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def main():
    rep_path, res_path, tasks_path = sys.argv[1:4]
    r = json.load(open(rep_path))
    tasks = [l.rstrip("\n") for l in open(tasks_path)]
    n = len(tasks)
    seen, lat, hosts = {}, [], {}
    for line in open(res_path):
        stamp = None
        if not line.startswith("{"):
            stamp, line = line.split(" ", 1)
        x = json.loads(line)
        t = x["task"]
        assert t not in seen, "task %d twice in the results" % t
        seen[t] = x
        assert x["status"] == "ok", x
        inp = tasks[t - 1]
        assert x["input"] == inp, (t, x["input"], inp)
        m = re.fullmatch(r"task (\S+) on (\S+) end (\d+)\n", x["output"] or "")
        assert m and m.group(1) == inp, ("output", t, x["output"])
        hosts[m.group(2)] = hosts.get(m.group(2), 0) + 1
        if stamp:
            lat.append((int(stamp) - int(m.group(3))) / 1000.0)
    assert sorted(seen) == list(range(1, n + 1)), \
        "results: %d tasks, want 1..%d (missing %s)" % (
            len(seen), n, sorted(set(range(1, n + 1)) - set(seen))[:10])
    assert r["expected"] == n and r["delivered"] == n and r["failed"] == 0, \
        {k: r[k] for k in ("expected", "delivered", "failed")}
    assert r["delivery_rate"] == 1.0 and r["exit_code"] == 0, r["exit_code"]
    lat.sort()
    nats = r["nats"]
    out = {
        "delivered": r["delivered"], "expected": n,
        "coordination_s": round(r["coordination_s"], 3),
        "lat_min_ms": lat[0] if lat else None,
        "lat_p50_ms": pct(lat, 0.50), "lat_p95_ms": pct(lat, 0.95),
        "hosts": hosts,
        "redelivered": nats["redelivered_tasks"],
        "duplicates": nats["duplicate_results"],
        "reconnects": nats["reconnects"],
        "failovers": nats["failover"]["events"],
        "redeliveries": nats["redeliveries"],
    }
    if len(sys.argv) > 4 and sys.argv[4] == "--lost":
        out["lost"] = lost(out, *sys.argv[5:9])
    print(json.dumps(out))
    return 0


def lost(out, coord, host, marks_path, t_us):
    t_us = int(t_us)
    fo = [f for f in out["failovers"] if f["coordinator"] == coord]
    assert len(fo) == 1, ("failovers", out["failovers"])
    fo = fo[0]
    assert fo["tasks"] >= 1 and fo["retaken"] == fo["tasks"], fo
    marks = [l.split() for l in open(marks_path)]
    moved = [x["task"] for x in out["redeliveries"]
             if x["history"].startswith("1@" + coord + " ")]
    again = []
    for t in moved:
        later = [int(m[0]) for m in marks
                 if m[1] == str(t) and m[2] != host and int(m[0]) > t_us]
        assert later, "task %d of %s never ran again elsewhere" % (t, coord)
        again.append((min(later) - t_us) / 1e6)
    return {"record": fo, "moved": len(moved),
            "again_max_s": max(again) if again else None,
            "unreported": [x for x in out["redeliveries"]
                           if not x["history"].startswith("1@")]}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("check failed: %s" % (e,), file=sys.stderr)
        sys.exit(1)
