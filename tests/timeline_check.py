#!/usr/bin/env python3
"""Check a `swarm run --timeline` file against the Chrome trace-event format
and, optionally, against a known workload. Exit 0 when it holds, 1 with one
line per problem otherwise.

  tests/timeline_check.py FILE [--max-bytes N] [--topology flat|hybrid]
        [--lock-wait AGENT:MIN_MS] [--task-span AGENT:MIN_MS]
        [--slower-by AGENT:MS] [--min-tracks N] [--quiet]

Format checks: valid JSON object with a traceEvents list; the fields each ph
needs; X slices properly nested per (pid, tid) and in start order; B/E
balanced; C counters in time order per (pid, name); every flow id has one
start (s) and one finish (f, bp "e"), start not after finish, and both ends
land inside a slice on their track (else viewers drop the arrow); every pid
used has a process_name and every (pid, tid) with slices or flows a
thread_name.

Workload checks (lower bounds and ratios only: the machine is noisy):
  --lock-wait w2:80   a "lock wait" slice of >= 80 ms on w2's track
  --task-span w3:180  a task of w3 whose send -> answer span is >= 180 ms
                      (task flow start to answer flow start, and its slice)
  --slower-by w3:80   w3's longest task slice >= the median of the other
                      agents' task slices + 80 ms (a difference, not a
                      ratio: a loaded host stretches every slice alike)
"""
import argparse
import json
import os
import statistics
import sys
from collections import defaultdict

EPS = 0.002  # us: ns-precision decimals may round once when parsed

problems = []


def bad(msg):
    problems.append(msg)


def need(e, keys, i):
    for k in keys:
        if k not in e:
            bad("event %d (ph %s) lacks %r" % (i, e.get("ph"), k))
            return False
    return True


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_format(d):
    if not isinstance(d, dict) or not isinstance(d.get("traceEvents"), list):
        bad("not an object with a traceEvents list")
        return None
    if d.get("displayTimeUnit") not in (None, "ms", "ns"):
        bad("displayTimeUnit %r" % d.get("displayTimeUnit"))
    ev = d["traceEvents"]
    slices = defaultdict(list)       # (pid, tid) -> [(ts, end, name)]
    stacks = defaultdict(list)       # B/E
    counters = defaultdict(list)     # (pid, name) -> [ts]
    flows = defaultdict(list)        # id -> [(ph, ts, pid, tid)]
    pnames, tnames, used_p, used_t = {}, {}, set(), set()
    for i, e in enumerate(ev):
        if not isinstance(e, dict) or "ph" not in e:
            bad("event %d is not an object with ph" % i)
            continue
        ph = e["ph"]
        if ph == "M":
            if not need(e, ("name", "pid", "args"), i):
                continue
            if e["name"] == "process_name":
                pnames[e["pid"]] = e["args"].get("name")
            elif e["name"] == "thread_name":
                if need(e, ("tid",), i):
                    tnames[(e["pid"], e["tid"])] = e["args"].get("name")
            continue
        if not need(e, ("name", "pid", "tid", "ts"), i):
            continue
        if not num(e["ts"]) or e["ts"] < 0:
            bad("event %d: ts %r" % (i, e["ts"]))
            continue
        if not isinstance(e["name"], str):
            bad("event %d: name is not a string" % i)
        key = (e["pid"], e["tid"])
        used_p.add(e["pid"])
        if ph == "X":
            if not need(e, ("dur",), i) or not num(e["dur"]) or e["dur"] < 0:
                bad("event %d: X without a dur >= 0" % i)
                continue
            slices[key].append((e["ts"], e["ts"] + e["dur"], e["name"], e.get("args", {})))
            used_t.add(key)
        elif ph == "B":
            stacks[key].append(e["ts"])
            used_t.add(key)
        elif ph == "E":
            if not stacks[key]:
                bad("event %d: E without B on %s" % (i, key))
            elif stacks[key].pop() > e["ts"] + EPS:
                bad("event %d: E before its B" % i)
        elif ph == "C":
            args = e.get("args")
            if not isinstance(args, dict) or not args or not all(num(v) for v in args.values()):
                bad("event %d: C without numeric args" % i)
            counters[(e["pid"], e["name"])].append(e["ts"])
        elif ph in ("s", "t", "f"):
            if not need(e, ("id",), i):
                continue
            if ph == "f" and e.get("bp") != "e":
                bad("event %d: flow finish without bp 'e'" % i)
            flows[(e.get("cat"), e["id"])].append((ph, e["ts"], e["pid"], e["tid"], e["name"]))
            used_t.add(key)
        elif ph in ("i", "I", "n", "b", "e"):
            pass
        else:
            bad("event %d: unknown ph %r" % (i, ph))
    for key, st in stacks.items():
        if st:
            bad("%d B without E on %s" % (len(st), key))
    for key, v in slices.items():
        nested(key, v)
    for key, ts in counters.items():
        if any(b < a for a, b in zip(ts, ts[1:])):
            bad("counter %s not in time order" % (key,))
    for fid, ends in flows.items():
        check_flow(fid, ends, slices)
    for p in used_p:
        if not pnames.get(p):
            bad("pid %s has no process_name" % p)
    for key in used_t:
        if not tnames.get(key):
            bad("track %s has no thread_name" % (key,))
    return {"slices": slices, "flows": flows, "tnames": tnames}


def nested(key, v):
    """In file order: starts never go back, and each slice closes inside
    the one it opened in."""
    stack = []
    for a, b in zip(v, v[1:]):
        if b[0] < a[0] - EPS:
            bad("slices on %s not in start order (%s after %s)" % (key, b[2], a[2]))
            return
    for ts, end, name, _ in sorted(v, key=lambda s: (s[0], -s[1])):
        while stack and stack[-1][0] <= ts + EPS:
            stack.pop()
        if stack and end > stack[-1][0] + EPS:
            bad("slice %r on %s outlasts %r (improper nesting)" % (name, key, stack[-1][1]))
            return
        stack.append((end, name))


def inside(slices, pid, tid, ts):
    return any(s[0] - EPS <= ts <= s[1] + EPS for s in slices.get((pid, tid), ()))


def check_flow(fid, ends, slices):
    s = [x for x in ends if x[0] == "s"]
    f = [x for x in ends if x[0] == "f"]
    if len(s) != 1 or len(f) != 1:
        bad("flow %s: %d starts, %d finishes" % (fid, len(s), len(f)))
        return
    if s[0][1] > f[0][1] + EPS:
        bad("flow %s starts after it finishes" % (fid,))
    for ph, ts, pid, tid, _ in (s[0], f[0]):
        if not inside(slices, pid, tid, ts):
            bad("flow %s: its %s end at %.3f is in no slice of %s/%s" % (fid, ph, ts, pid, tid))


def track_of(r, agent):
    for key, name in r["tnames"].items():
        if name == agent or (name or "").startswith(agent + " "):
            return key
    bad("no track named %s" % agent)
    return None


def spec(s):
    a, v = s.rsplit(":", 1)
    return a, float(v)


def task_slices(r, key):
    return [s for s in r["slices"].get(key, ()) if s[2].startswith("task ")]


def check_workload(r, a):
    for agent, ms in a.lock_wait:
        key = track_of(r, agent)
        waits = [s[1] - s[0] for s in r["slices"].get(key, ()) if s[2] == "lock wait"]
        if key and not any(w >= ms * 1000 for w in waits):
            bad("%s: no lock wait of %g ms or more (waits: %s ms)" %
                (agent, ms, [round(w / 1000, 1) for w in waits]))
    for agent, ms in a.task_span:
        key = track_of(r, agent)
        if not key:
            continue
        spans = [s[1] - s[0] for s in task_slices(r, key)]
        if not any(x >= ms * 1000 for x in spans):
            bad("%s: no task slice of %g ms or more (%s)" % (agent, ms, spans))
        # the same from the arrows: the task sent to this agent (its "task"
        # flow's start) -> the answer it sent (the next "answer" flow out)
        sent, ans = [], []
        for ends in r["flows"].values():
            st = [x for x in ends if x[0] == "s"]
            fi = [x for x in ends if x[0] == "f"]
            if not st or not fi:
                continue
            if st[0][4] == "task" and fi[0][2:4] == key:
                sent.append(st[0][1])
            if st[0][4] == "answer" and st[0][2:4] == key:
                ans.append(st[0][1])
        flow_spans = [x - max(t for t in sent if t <= x) for x in ans
                      if any(t <= x for t in sent)]
        if not any(x >= ms * 1000 for x in flow_spans):
            bad("%s: no task -> answer flow span of %g ms or more" % (agent, ms))
    for agent, ms in a.slower_by:
        key = track_of(r, agent)
        if not key:
            continue
        mine = max((s[1] - s[0] for s in task_slices(r, key)), default=0)
        others = [s[1] - s[0] for k in r["slices"] if k != key for s in task_slices(r, k)]
        if not others:
            bad("no other agents' tasks to compare %s with" % agent)
        elif mine < statistics.median(others) + ms * 1000:
            bad("%s: longest task %.0f us, not %g ms over the others' median %.0f us" %
                (agent, mine, ms, statistics.median(others)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--max-bytes", type=int)
    p.add_argument("--topology")
    p.add_argument("--min-tracks", type=int, default=0)
    p.add_argument("--lock-wait", type=spec, action="append", default=[])
    p.add_argument("--task-span", type=spec, action="append", default=[])
    p.add_argument("--slower-by", type=spec, action="append", default=[])
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    size = os.path.getsize(a.file)
    if a.max_bytes and size > a.max_bytes:
        bad("%d bytes, over the cap of %d" % (size, a.max_bytes))
    try:
        with open(a.file, "rb") as f:
            d = json.loads(f.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        print("FAIL %s: not valid JSON: %s" % (a.file, e))
        return 1
    r = check_format(d)
    if r is not None:
        summary = d.get("swarm", {})
        if a.topology and summary.get("topology") != a.topology:
            bad("topology %r, want %r" % (summary.get("topology"), a.topology))
        if len(r["tnames"]) < a.min_tracks:
            bad("%d tracks, want at least %d" % (len(r["tnames"]), a.min_tracks))
        check_workload(r, a)
    for m in problems[:40]:
        print("FAIL %s: %s" % (a.file, m))
    if not problems and not a.quiet:
        print("ok %s: %d events, %d tracks, %d flows, %d bytes" %
              (a.file, len(d["traceEvents"]), len(r["tnames"]), len(r["flows"]), size))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
