#!/usr/bin/python3
"""Spawn and answer CDFs per topology from `swarm run --timeline` files.

Each timeline's "swarm" summary holds every agent's start (spawn_ms) and
every answer (answer_ms), in ms from the run's start, as up to 101 sorted
values or percentiles: a CDF already. One curve per workload (flat N,
hybrid CxW), its first repetition's file; two panels, spawn and answer.

  bench/timeline_cdf.py --out PREFIX FILE...   -> PREFIX.png (gnuplot)
                                                  and PREFIX.json

A FILE may also be an earlier PREFIX.json (its curves are taken as they
are), so a bench result's curves can be drawn again beside new runs.

bench/report.py calls plot() with the files bench/run wrote for its
coordination rows (--timelines DIR). Hybrid spawn_ms needs the kernel
tracer (the master does not see workers start): an untraced hybrid run has
no spawn curve.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def label_of(path, summary):
    """'flat 100' / 'hybrid 7x50' from bench/run's file name
    (WORKLOAD-SYSTEM-REP.json), else from the summary."""
    m = re.match(r"(flat|hybrid|demo|trace_flat)_([0-9x]+)-([a-z]+)-", os.path.basename(path))
    if m:
        topo = "flat" if m.group(1) in ("flat", "demo", "trace_flat") else "hybrid"
        lab = "%s %s, %s agents" % (topo, m.group(2), "C demo" if m.group(1) == "demo" else "bash")
        return lab + (" (trace row, %s)" % m.group(3) if m.group(1) == "trace_flat" else "")
    c, n = summary.get("coordinators") or 0, summary.get("agents") or 0
    shape = "%dx%d" % (c, n // c) if c else str(n)
    return "%s %s (%s)" % (summary.get("topology", "?"), shape, os.path.basename(path))


def rep_of(path):
    m = re.search(r"-(\d+)\.json$", path)
    return int(m.group(1)) if m else 0


def curves(files):
    """{label: {"topology", "agents", "spawn_ms", "answer_ms", "file"}},
    the lowest repetition of each workload."""
    out = {}
    for path in sorted(files, key=rep_of):
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError):
            continue
        for lab, c in d.get("curves", {}).items():   # an earlier PREFIX.json
            out.setdefault(lab, c)
        s = d.get("swarm", {})
        if not s:
            continue
        lab = label_of(path, s)
        if lab not in out:
            out[lab] = {"topology": s.get("topology"), "agents": s.get("agents"),
                        "spawn_ms": s.get("spawn_ms", []), "answer_ms": s.get("answer_ms", []),
                        "file": os.path.basename(path)}
    return out


def series(vals):
    """(ms, fraction) points of a sorted list (values or percentiles)."""
    n = len(vals)
    return [(v, (i + 1) / n) for i, v in enumerate(vals)] if n else []


def plot(files, out, term="pngcairo size 1000,460 noenhanced"):
    """Writes out.png (if gnuplot is there) and out.json; returns
    (png path or None, the curves)."""
    cs = curves(files)
    with open(out + ".json", "w") as f:
        json.dump({"schema_version": 1, "curves": cs}, f, indent=1)
    if not cs:
        return None, cs
    dat = out + ".dat"
    order = sorted(cs, key=lambda k: (cs[k]["topology"] != "flat", cs[k]["agents"] or 0, k))
    blocks = []
    with open(dat, "w") as f:
        for what in ("spawn_ms", "answer_ms"):
            for lab in order:
                pts = series(cs[lab][what])
                for x, y in pts or [(0, 0)]:
                    f.write("%.3f %.4f\n" % (x, y))
                f.write("\n\n")
                blocks.append((what, lab, bool(pts)))
    lines = ["set terminal " + term, "set output '%s.png'" % out,
             "set multiplot layout 1,2 title 'swarm run --timeline: spawn and answer CDFs, flat vs hybrid'",
             "set grid", "set key bottom right", "set ylabel 'fraction of agents / tasks'",
             "set yrange [0:1.02]"]
    for panel, what in enumerate(("spawn_ms", "answer_ms")):
        parts = []
        for i, (w, lab, ok) in enumerate(blocks):
            if w == what and ok:
                dash = "dt 1" if cs[lab]["topology"] == "flat" else "dt 2"
                parts.append("'%s' index %d with steps lw 2 %s title '%s'" % (dat, i, dash, lab))
        lines += ["set title '%s'" % ("agent started (ms from the start of the run)" if panel == 0
                                      else "answer sent (ms from the start of the run)"),
                  "set xlabel 'ms'",
                  ("plot " + ", ".join(parts)) if parts else
                  "set label 1 'no data (hybrid spawn needs tracing)' at graph 0.2,0.5; plot 2 notitle; unset label 1"]
    lines.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(lines), text=True, check=True,
                       capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        print("bench: no timeline plot (%s)" % e, file=sys.stderr)
        return None, cs
    finally:
        os.unlink(dat)
    return out + ".png", cs


def md_rows(cs):
    """Markdown lines: p50 / p95 of spawn and answer per curve."""
    def pct(v, p):
        return "%.1f" % v[min(len(v) - 1, int(round(p * (len(v) - 1))))] if v else "-"
    rows = ["| workload | agents | spawn p50 ms | spawn p95 ms | answer p50 ms | answer p95 ms |",
            "|---|---|---|---|---|---|"]
    for lab, c in sorted(cs.items()):
        rows.append("| %s | %s | %s | %s | %s | %s |" % (
            lab, c["agents"], pct(c["spawn_ms"], .5), pct(c["spawn_ms"], .95),
            pct(c["answer_ms"], .5), pct(c["answer_ms"], .95)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    png, cs = plot(a.files, a.out)
    print("\n".join(md_rows(cs)))
    print("wrote %s.json%s" % (a.out, ", " + png if png else ""))


if __name__ == "__main__":
    main()
