#!/usr/bin/env python3
"""Draw a `swarm run --timeline` file (Chrome trace-event JSON) as one SVG:
a row per track grouped by process (master, coordinators), its slices
stacked by nesting and coloured by kind, the message flows as thin lines,
and the counters as small charts underneath. No dependencies beyond
python3; for a PNG open the SVG in a browser, e.g.

  tools/timeline_svg.py /tmp/t.json > /tmp/t.svg
  chromium --headless --screenshot=/tmp/t.png --window-size=1400,1200 /tmp/t.svg

It reads what any trace-event file has (X slices, s/f flows, C counters,
M names), so it works on a timeline whatever its size; names are escaped.
"""
import argparse
import json
import sys
from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

COLORS = {"run": "#5b6b7f", "process": "#b9c3cf", "task": "#3f9b4f",
          "lock": "#e0781b", "master": "#7d5ba6", "msg": "#30343b"}
EXEC = "#7fb2e5"
FAILED = "#c8323b"
LEFT, ROW, TOP, COUNTER_H = 190, 9, 46, 46


def load(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    ev = d["traceEvents"] if isinstance(d, dict) else d
    return d if isinstance(d, dict) else {}, ev


def tracks(ev):
    """(pid, tid) rows in the viewer's order: process sort index, then
    thread sort index; with their names."""
    pname, tname, psort, tsort = {}, {}, {}, {}
    used = set()
    for e in ev:
        ph = e.get("ph")
        if ph == "M":
            a = e.get("args", {})
            if e["name"] == "process_name":
                pname[e["pid"]] = a.get("name", "")
            elif e["name"] == "thread_name":
                tname[(e["pid"], e.get("tid"))] = a.get("name", "")
            elif e["name"] == "process_sort_index":
                psort[e["pid"]] = a.get("sort_index", 0)
            elif e["name"] == "thread_sort_index":
                tsort[(e["pid"], e.get("tid"))] = a.get("sort_index", 0)
        elif ph in ("X", "s", "f"):
            used.add((e["pid"], e["tid"]))
    rows = sorted(used, key=lambda k: (psort.get(k[0], 1 << 30), k[0],
                                       tsort.get(k, 1 << 30), k[1]))
    return rows, pname, tname


def depths(slices):
    """Nesting depth of each slice of one track (slices sorted by start)."""
    out, stack = [], []
    for s in slices:
        while stack and stack[-1] <= s["ts"]:
            stack.pop()
        out.append(len(stack))
        stack.append(s["ts"] + s["dur"])
    return out


def color(e):
    if e["name"].startswith("exec "):
        return EXEC
    if e.get("cat") == "task" and e.get("args", {}).get("status", "ok") != "ok":
        return FAILED
    return COLORS.get(e.get("cat"), "#999999")


def draw(d, ev, width, max_flows, title):
    rows, pname, tname = tracks(ev)
    row_of = {k: i for i, k in enumerate(rows)}
    xs = [e for e in ev if e.get("ph") == "X"]
    counters = defaultdict(list)
    for e in ev:
        if e.get("ph") == "C":
            for k, v in e["args"].items():   # shown as viewers do: "name key"
                counters["%s %s" % (e["name"], k)].append((e["ts"], v))
    t_end = max([e["ts"] + e["dur"] for e in xs] + [c[-1][0] for c in counters.values()] + [1])
    plot_w = width - LEFT - 20
    sx = lambda t: LEFT + plot_w * t / t_end
    groups = []   # (first row, pid) where a new process starts
    for i, k in enumerate(rows):
        if not groups or groups[-1][1] != k[0]:
            groups.append((i, k[0]))
    y_rows = TOP + len(rows) * ROW + 12 * len(groups)
    gap = {}
    for n, (i, _) in enumerate(groups):
        gap[i] = n
    ry = {}
    g = 0
    for i in range(len(rows)):
        if i in gap:
            g = gap[i]
        ry[i] = TOP + i * ROW + 12 * (g + 1)
    height = y_rows + 20 + (COUNTER_H + 14) * len(counters) + 30
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="9">' % (width, height),
         '<rect width="100%" height="100%" fill="white"/>']
    summary = d.get("swarm", {})
    head = title or "swarm run timeline"
    if summary:
        head += " — %s, %s agents (%s with tracks), %s tasks, %.0f ms" % (
            summary.get("topology"), summary.get("agents"), summary.get("tracks_detailed"),
            summary.get("tasks"), summary.get("run_ms", t_end / 1000))
    o.append('<text x="8" y="16" font-size="13" font-weight="bold">%s</text>' % escape(head))
    # time axis
    step = nice_step(t_end / 1000 / 8)
    t = 0.0
    while t * 1000 <= t_end:
        x = sx(t * 1000)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>' %
                 (x, TOP - 4, x, y_rows))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">%g ms</text>' % (x, TOP - 8, t))
        t += step
    # process labels and track names
    for i, pid in groups:
        o.append('<text x="4" y="%d" font-weight="bold" fill="#333">%s</text>' %
                 (ry[i] - 3, escape(pname.get(pid, "pid %s" % pid))))
    label_every = max(1, len(rows) // 60)
    for i, k in enumerate(rows):
        if i % label_every == 0 or i in gap:
            o.append('<text x="14" y="%d" fill="#555">%s</text>' %
                     (ry[i] + ROW + 0, escape(tname.get(k, str(k[1])))))
    # slices, per track, nested ones thinner
    per = defaultdict(list)
    for e in xs:
        per[(e["pid"], e["tid"])].append(e)
    for k, v in per.items():
        if k not in row_of:
            continue
        v.sort(key=lambda e: (e["ts"], -e["dur"]))
        y0 = ry[row_of[k]]
        for e, dep in zip(v, depths(v)):
            if e.get("cat") == "msg":
                continue   # the 1 us send/read marks: the flows show them
            h = max(2, ROW - 1 - 2 * dep)
            w = max(0.6, sx(e["ts"] + e["dur"]) - sx(e["ts"]))
            o.append('<rect x="%.2f" y="%.1f" width="%.2f" height="%d" fill="%s">'
                     '<title>%s</title></rect>' %
                     (sx(e["ts"]), y0 + (ROW - 1 - h), w, h, color(e),
                      escape("%s: %.3f ms" % (e["name"], e["dur"] / 1000))))
    # flows
    ends = defaultdict(dict)
    for e in ev:
        if e.get("ph") in ("s", "f"):
            ends[(e.get("cat"), e["id"])][e["ph"]] = e
    n = 0
    for fl in ends.values():
        if "s" not in fl or "f" not in fl or n >= max_flows:
            continue
        a, b = fl["s"], fl["f"]
        ka, kb = (a["pid"], a["tid"]), (b["pid"], b["tid"])
        if ka not in row_of or kb not in row_of:
            continue
        n += 1
        stroke = {"task": "#2b6cb0", "answer": "#2f855a", "result": "#805ad5"}.get(a["name"], "#444")
        o.append('<line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f" stroke="%s" '
                 'stroke-opacity="0.35" stroke-width="0.6"/>' %
                 (sx(a["ts"]), ry[row_of[ka]] + ROW / 2, sx(b["ts"]), ry[row_of[kb]] + ROW / 2, stroke))
    # counters
    y = y_rows + 20
    for name, pts in sorted(counters.items()):
        pts.sort()
        top = max(p[1] for p in pts) or 1
        path = "M %.1f %.1f " % (sx(pts[0][0]), y + COUNTER_H)
        prev = y + COUNTER_H
        for ts, val in pts:
            cy = y + COUNTER_H - COUNTER_H * val / top
            path += "L %.1f %.1f L %.1f %.1f " % (sx(ts), prev, sx(ts), cy)
            prev = cy
        path += "L %.1f %.1f L %.1f %.1f Z" % (sx(t_end), prev, sx(t_end), y + COUNTER_H)
        o.append('<path d="%s" fill="#9bb7d4" stroke="#4a6f96" stroke-width="0.6"/>' % path)
        o.append('<text x="4" y="%d" font-weight="bold">%s</text>' % (y + 12, escape(name)))
        o.append('<text x="4" y="%d" fill="#555">max %s</text>' % (y + 24, escape(human(top))))
        y += COUNTER_H + 14
    # legend
    lx = LEFT
    for label, c in (("process", COLORS["process"]), ("exec", EXEC), ("task", COLORS["task"]),
                     ("failed task", FAILED), ("lock wait", COLORS["lock"]),
                     ("coordinator / master", COLORS["run"]), ("flows: task", "#2b6cb0"),
                     ("answer", "#2f855a"), ("result", "#805ad5")):
        o.append('<rect x="%d" y="24" width="10" height="8" fill=%s/>'
                 '<text x="%d" y="31">%s</text>' % (lx, quoteattr(c), lx + 13, escape(label)))
        lx += 13 + 6 * len(label) + 14
    o.append("</svg>")
    return "\n".join(o)


def nice_step(x):
    for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if s >= x:
            return s
    return 60000


def human(v):
    for unit in ("", "k", "M", "G"):
        if abs(v) < 1000:
            return "%g%s" % (round(v, 1), unit)
        v /= 1000.0
    return "%gT" % round(v, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--width", type=int, default=1400)
    p.add_argument("--max-flows", type=int, default=3000)
    p.add_argument("--title")
    a = p.parse_args()
    d, ev = load(a.file)
    sys.stdout.write(draw(d, ev, a.width, a.max_flows, a.title))


if __name__ == "__main__":
    main()
