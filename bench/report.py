#!/usr/bin/python3
"""Turn bench/run's raw measurements into the comparison table.

Reads the JSON lines bench/run wrote (one per workload, system and
repetition), takes the median of every metric over the repetitions (and
the spread: half the min..max range, as a percentage of the median), and
writes:
  <out>.json  every row with medians, spreads, the raw values and the
              machine facts (kernel, cores, CPU, memory, load average);
  <out>.md    the Markdown table;
  <out>.png   coordination time vs agents, both systems (gnuplot);
  <out>-timeline.png/.json  spawn and answer CDFs, flat vs hybrid, from
              the --timeline files of swarm's runs (--timelines DIR,
              bench/timeline_cdf.py).
The table is also printed on stdout. Delivery rows take the worst
repetition, not the median: one lost message is one too many.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline_cdf  # noqa: E402  (beside this file)

# (section, row label, seed target, workload, metric path, unit, aggregate)
ROWS = [
    ("Message bus, library level (C load generators; baseline = the reference protocol in C)", None),
    ("Send latency p50, 1 sender", "-", "bus_1", "send_us.p50", "us", "median"),
    ("Send latency p99, 1 sender", "-", "bus_1", "send_us.p99", "us", "median"),
    ("Throughput, 1 sender", "-", "bus_1", "msgs_per_s", "msg/s", "median"),
    ("Throughput, 50 senders (flat 50)", "3,000 msg/s", "bus_50", "msgs_per_s", "msg/s", "median"),
    ("Throughput, 300 senders (flat 300)", "5,000 msg/s", "bus_300", "msgs_per_s", "msg/s", "median"),
    ("Throughput, 500 senders", ">= 300,000 msg/s", "bus_500", "msgs_per_s", "msg/s", "median"),
    ("Throughput, 707 senders -> 7 inboxes (hybrid 708)", "8,000 msg/s", "bus_hyb708", "msgs_per_s", "msg/s", "median"),
    ("Batched throughput (100 per call)", ">= 1,000,000 msg/s", "bus_batch", "msgs_per_s", "msg/s", "median"),
    ("Write->read p50, waiting reader", "-", "bus_w2r", "w2r_us.p50", "us", "median"),
    ("Write->read p95, waiting reader", "< 100 us", "bus_w2r", "w2r_us.p95", "us", "median"),
    ("Write->read p99, waiting reader", "-", "bus_w2r", "w2r_us.p99", "us", "median"),
    ("Delivery, every bus run (exactly once, in order)", "100 %", "bus_*", "@bus_delivery", "%", "min"),

    ("Message delivery, shell level (one CLI call per message, process start included)", None),
    ("Single message write p50", "< 10 ms", "cli_send", "p50_us", "us", "median"),
    ("Single message write p95", "< 10 ms (p95)", "cli_send", "p95_us", "us", "median"),
    ("Message read p50", "< 5 ms", "cli_recv", "p50_us", "us", "median"),
    ("Batch write (10 msgs) p50", "< 50 ms", "cli_batch10", "p50_us", "us", "median"),
    ("Response detection p50 (write -> waiting reader)", "-", "cli_detect", "p50_us", "us", "median"),
    ("Response detection p95", "< 200 ms (p95)", "cli_detect", "p95_us", "us", "median"),
    ("Delivery, shell-level runs", "100 %", "cli_*", "@delivery", "%", "min"),
    ("CPU of an idle waiting reader", "< 5 % per core", "idle", "cpu.cpu_pct", "%", "median"),

    ("Coordination (swarm run vs the bash coordinator; agents: bash, read a task message, answer)", None),
    ("Spawn time, flat 10", "< 1 s", "flat_10", "spawn_s", "s", "median"),
    ("Spawn time, flat 50", "< 2 s", "flat_50", "spawn_s", "s", "median"),
    ("Spawn time, flat 100", "< 5 s", "flat_100", "spawn_s", "s", "median"),
    ("Spawn time, flat 300", "< 10 s", "flat_300", "spawn_s", "s", "median"),
    ("Spawn time, hybrid 7x50", "< 15 s", "hybrid_7x50", "spawn_s", "s", "median"),
    ("Spawn time, hybrid 7x100", "< 20 s", "hybrid_7x100", "spawn_s", "s", "median"),
    ("Spawn time, hybrid 10x50", "< 15 s", "hybrid_10x50", "spawn_s", "s", "median"),
    ("Agents/s, flat 50", "20 agents/s", "flat_50", "agents_per_s", "agents/s", "median"),
    ("Agents/s, flat 300", "15 agents/s", "flat_300", "agents_per_s", "agents/s", "median"),
    ("Agents/s, hybrid 7x50 (358)", "25 agents/s", "hybrid_7x50", "agents_per_s", "agents/s", "median"),
    ("Agents/s, hybrid 7x100 (708)", "30 agents/s", "hybrid_7x100", "agents_per_s", "agents/s", "median"),
    ("Delivery rate, flat 10", ">= 90 %", "flat_10", "@delivery", "%", "min"),
    ("Delivery rate, flat 50", ">= 90 %", "flat_50", "@delivery", "%", "min"),
    ("Delivery rate, flat 100", ">= 90 %", "flat_100", "@delivery", "%", "min"),
    ("Delivery rate, flat 300", ">= 85 %", "flat_300", "@delivery", "%", "min"),
    ("Delivery rate, hybrid 7x50", ">= 95 %", "hybrid_7x50", "@delivery", "%", "min"),
    ("Delivery rate, hybrid 7x100", ">= 95 %", "hybrid_7x100", "@delivery", "%", "min"),
    ("Completion detection, flat 50", "< 5 s", "flat_50", "coordination_s", "s", "median"),
    ("Completion detection, flat 300", "< 15 s", "flat_300", "coordination_s", "s", "median"),
    ("Completion detection, hybrid 7x50", "-", "hybrid_7x50", "coordination_s", "s", "median"),
    ("Completion detection, hybrid 7x100 (708)", "< 25 s (issue: < 2 s)", "hybrid_7x100", "coordination_s", "s", "median"),
    ("1000 agents flat, swarm demo-agent (C): completion", "< 1 s (issue 6)", "demo_1000", "coordination_s", "s", "median"),
    ("1000 agents flat, swarm demo-agent (C): delivery", "100 %", "demo_1000", "@delivery", "%", "min"),
    ("Result latency p95, flat 50 (worker -> coordinator)", "< 10 ms (p95)", "flat_50", "latency_us.p95", "us", "median"),
    ("Result latency p95, hybrid 7x50", "< 10 ms (p95)", "hybrid_7x50", "latency_us.p95", "us", "median"),
    ("/dev/shm peak, hybrid 7x50 (350 workers)", "< 100 MB", "hybrid_7x50", "shm_peak_bytes", "bytes", "median"),
    ("/dev/shm peak, hybrid 10x50 (500 workers)", "< 100 MB (issue: < 5 MB)", "hybrid_10x50", "shm_peak_bytes", "bytes", "median"),
    ("FDs per coordinator, peak, flat 300", "< 1000", "flat_300", "fds_peak", "count", "median"),
    ("FDs per coordinator, peak, hybrid 10x50", "< 1000", "hybrid_10x50", "fds_peak", "count", "median"),
    ("Coordinator RSS peak, flat 300", "-", "flat_300", "rss_peak_kb", "kb", "median"),
    ("Agent process RSS peak, flat 300 (bash agents)", "< 50 MB", "flat_300", "agents_rss_peak_kb", "kb", "median"),
    ("CPU, whole run, flat 300 (% of one core)", "spawn < 50 %, coord. < 20 % per core", "flat_300", "cpu.cpu_pct", "%", "median"),
    ("CPU, whole run, hybrid 7x50 (% of one core)", "spawn < 50 %, coord. < 20 % per core", "hybrid_7x50", "cpu.cpu_pct", "%", "median"),

    ("Coordination time, flat 100: baseline column = swarm --no-trace, swarm column = traced", "-", "trace_flat_100", "coordination_s", "s", "median", ("untraced", "traced")),
    ("Spawn time, flat 100: baseline column = swarm --no-trace, swarm column = traced", "-", "trace_flat_100", "spawn_s", "s", "median", ("untraced", "traced")),

    ("Worker failure detection, flat 10, 1 agent dies (--full)", "< 30 s", "worker_fail", "coordination_s", "s", "median"),
    ("Delivery with 1 of 10 agents dead (expect 90 %)", "-", "worker_fail", "@delivery", "%", "min"),

    ("Containers: swarm run in Docker (registry-free Debian image, default 64 MB /dev/shm, --no-trace on both sides)", None),
    ("Coordination time, flat 100 bash agents: baseline column = native, swarm column = in Docker", "<= 2 x native", "container_flat_100", "coordination_s", "s", "median", ("native", "container")),
    ("Coordination time, hybrid 4x25 bash agents: baseline column = native, swarm column = in Docker", "<= 2 x native", "container_hybrid_4x25", "coordination_s", "s", "median", ("native", "container")),
    ("Delivery, both container rows: baseline column = native, swarm column = in Docker", "100 %", "container_*", "@delivery", "%", "min", ("native", "container")),

    ("Scaling beyond the seed (--full)", None),
    ("Coordination time, flat 1000", "-", "flat_1000", "coordination_s", "s", "median"),
    ("Coordination time, hybrid 20x50", "-", "hybrid_20x50", "coordination_s", "s", "median"),
    ("Coordination time, hybrid 40x50", "< 30 s", "hybrid_40x50", "coordination_s", "s", "median"),
    ("Delivery rate, flat 1000", "-", "flat_1000", "@delivery", "%", "min"),
    ("Delivery rate, hybrid 40x50", ">= 95 %", "hybrid_40x50", "@delivery", "%", "min"),
    ("FDs per coordinator, flat 1000", "< 1000", "flat_1000", "fds_peak", "count", "median"),
    ("FDs per coordinator, hybrid 40x50", "< 1000", "hybrid_40x50", "fds_peak", "count", "median"),
    ("/dev/shm peak, hybrid 40x50", "< 100 MB", "hybrid_40x50", "shm_peak_bytes", "bytes", "median"),

    ("Plain commands: 1000 x `echo {}`, 8 at a time (issue 16)", None),
    ("Wall, baseline = xargs -P 8, swarm = swarm run -j 8 (traced as root)", "<= 1.2 x xargs", "plain_1000", "wall_s", "s", "median", ("xargs", "swarm")),
    ("Wall, baseline = GNU parallel -j 8, swarm = swarm run -j 8 (traced as root)", "<= 0.25 x parallel", "plain_1000", "wall_s", "s", "median", ("parallel", "swarm")),
    ("Wall, baseline = xargs -P 8, swarm = swarm run -j 8 --no-trace", "-", "plain_1000", "wall_s", "s", "median", ("xargs", "untraced")),
    ("Wall, baseline = GNU parallel -j 8, swarm = swarm run -j 8 --no-trace", "-", "plain_1000", "wall_s", "s", "median", ("parallel", "untraced")),

    ("Real workload (--full): 50 tasks (cc + run, gzip, test)", None),
    ("Wall time, 50 tasks (xargs -P 50 alone: %s)", "-", "real50", "wall_s", "s", "median"),
    ("Overhead vs xargs -P 50", "< 10 % (issue: < 2 %)", "real50", "@overhead", "%", "median"),
]


def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d if isinstance(d, (int, float)) else None


def delivery(d):
    """Percent delivered of one run, or None when the run has no count."""
    exp = d.get("expected")
    if not isinstance(exp, (int, float)) or exp <= 0:
        return None
    got = d.get("delivered", 0)
    if d.get("duplicates") or d.get("order_errors") or d.get("bad") or d.get("errors"):
        got = min(got, exp - 1)  # counted, but never as a clean 100 %
    return 100.0 * got / exp


def load(raw):
    runs = []
    with open(raw) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    runs.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return runs


def matches(wl, pattern):
    return wl.startswith(pattern[:-1]) if pattern.endswith("*") else wl == pattern


def values(runs, system, workload, path):
    """Per-repetition values; 'na' text when the system could not run it."""
    out, na, errors = [], None, []
    xargs = {r["rep"]: get(r["data"], "wall_s") for r in runs
             if r["workload"] == "real50" and r["system"] == "xargs"}
    for r in runs:
        if r["system"] != system or not matches(r["workload"], workload):
            continue
        d = r["data"]
        if "na" in d:
            na = d["na"]
            continue
        if "error" in d:
            errors.append(d["error"])
            continue
        kernel = d.get("kernel")
        if system == "traced" and isinstance(kernel, dict) and not kernel.get("enabled"):
            # A "traced" run whose tracing did not start measures nothing.
            na = "tracing was off: %s" % kernel.get("reason", "unknown")
            continue
        if path == "@delivery" or path == "@bus_delivery":
            v = delivery(d)
        elif path == "@overhead":
            w, x = get(d, "wall_s"), xargs.get(r["rep"])
            v = 100.0 * (w - x) / x if w and x else None
        else:
            v = get(d, path)
        if v is not None:
            out.append(float(v))
    return out, na, errors


def agg(vals, how):
    if not vals:
        return None, None
    if how == "min":
        return min(vals), 0.0
    med = statistics.median(vals)
    spread = 100.0 * (max(vals) - min(vals)) / 2 / abs(med) if med else 0.0
    return med, spread


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "us":
        if v >= 1e6:
            return "%.2f s" % (v / 1e6)
        if v >= 1e3:
            return "%.2f ms" % (v / 1e3)
        return "%.1f us" % v
    if unit == "s":
        return "%.3f s" % v if v < 10 else "%.1f s" % v
    if unit == "msg/s":
        return "{:,.0f} msg/s".format(v)
    if unit == "agents/s":
        return "%.1f agents/s" % v
    if unit == "%":
        return "%.1f %%" % v if abs(v) < 99.95 or v != int(v) else "%.0f %%" % v
    if unit == "bytes":
        return "%.2f MB" % (v / 1e6) if v >= 1e6 else "%.0f KB" % (v / 1e3)
    if unit == "kb":
        return "%.1f MB" % (v / 1024)
    return "%.0f" % v


def cell(med, spread, unit, na, errors, how):
    if med is None:
        if na:
            return "n/a (%s)" % na
        if errors:
            return "failed (%s)" % errors[0]
        return "not run"
    s = fmt(med, unit)
    if how == "median" and spread and spread >= 0.5:
        s += " ±%.0f%%" % spread
    return s


def machine(args):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except OSError:
        mem_kb = 0
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    return {
        "kernel": platform.release(), "arch": platform.machine(), "cores": os.cpu_count(),
        "cpu": cpu, "mem_gb": round(mem_kb / 1048576, 1),
        "loadavg_before": args.load_before, "loadavg_after": args.load_after,
        "git": rev, "swarm_bin": args.swarm_bin, "mode": args.mode, "reps": args.reps,
    }


def plot(runs, out, metric="coordination_s", ylabel="seconds",
         title="Coordination time vs agents (spawn, deliver, detect completion), median",
         logy=True):
    """A metric of the coordination runs vs agents, both systems, flat and
    hybrid; writes <out>.png and returns its path."""
    series, points = {}, {}
    for r in runs:
        wl, d = r["workload"], r["data"]
        if not (wl.startswith("flat_") or wl.startswith("hybrid_")) or r["system"] not in ("baseline", "swarm"):
            continue
        v = get(d, metric)
        if v is None:
            continue
        if wl.startswith("flat_"):
            topo, n = "flat", int(wl[5:])
        else:
            c, w = wl[7:].split("x")
            topo, n = "hybrid", int(c) * int(w) + int(c)
        points.setdefault((r["system"], topo, n), []).append(v)
    for (sysname, topo, n), vals in points.items():
        series.setdefault((sysname, topo), []).append((n, statistics.median(vals)))
    if not series:
        return None
    dat = out + ".dat"
    names = []
    with open(dat, "w") as f:
        for key in sorted(series):
            names.append("%s %s" % key)
            for n, v in sorted(series[key]):
                f.write("%d %.6f\n" % (n, v))
            f.write("\n\n")
    gp = [
        "set terminal pngcairo size 900,560 noenhanced" if term_ok("pngcairo") else "set terminal png size 900,560",
        "set output '%s.png'" % out,
        "set title '%s'" % title,
        "set xlabel 'agents'", "set ylabel '%s'" % ylabel, "set key top left", "set grid",
        "set logscale y" if logy else "unset logscale",
        "plot " + ", ".join("'%s' index %d with linespoints lw 2 title '%s'" % (dat, i, t)
                            for i, t in enumerate(names)),
    ]
    try:
        subprocess.run(["gnuplot"], input="\n".join(gp), text=True, check=True,
                       capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        print("bench: no plot (%s)" % e, file=sys.stderr)
        return None
    finally:
        os.unlink(dat)
    return out + ".png"


def term_ok(name):
    try:
        r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True, timeout=20)
        return (" " + name + " ") in (r.stdout + r.stderr)
    except (OSError, subprocess.SubprocessError):
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", help="bench/run's raw JSON lines")
    ap.add_argument("--rerender", help="a results .json to render again (same runs, same machine facts)")
    ap.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""),
                    help="free text recorded with the machine facts (e.g. which swarm build)")
    ap.add_argument("--out", help="output path without extension (default: the --rerender file's)")
    ap.add_argument("--mode", default="quick")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--have-run", default="0")
    ap.add_argument("--swarm-bin", default="")
    ap.add_argument("--have-cli", default="0")
    ap.add_argument("--timelines", help="directory of --timeline files (bench/run's coordination rows)")
    args = ap.parse_args()

    old_facts = None
    if args.rerender:
        with open(args.rerender) as f:
            old = json.load(f)
        runs, old_facts = old["runs"], old["machine"]
        args.out = args.out or args.rerender[:-5]
        args.have_run = "1" if old.get("swarm_run_available") else "0"
        args.have_cli = "1" if old.get("swarm_cli_available") else "0"
        args.mode, args.reps = old_facts.get("mode", args.mode), old_facts.get("reps", args.reps)
        args.load_before = old_facts.get("loadavg_before", "")
        args.load_after = old_facts.get("loadavg_after", "")
    elif args.raw and args.out:
        runs = load(args.raw)
    else:
        ap.error("--raw and --out, or --rerender")
    xargs_wall, _, _ = values(runs, "xargs", "real50", "wall_s")
    rows, md = [], []
    header = ["row", "seed target", "baseline", "swarm", "swarm/baseline"]
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "---|" * len(header))
    text = []
    for spec in ROWS:
        if spec[1] is None:
            rows.append({"section": spec[0]})
            md.append("| **%s** | | | | |" % spec[0])
            text.append(("## " + spec[0],))
            continue
        label, target, wl, path, unit, how = spec[:6]
        systems = spec[6] if len(spec) > 6 else ("baseline", "swarm")
        if "%s" in label:
            label = label % (fmt(statistics.median(xargs_wall), "s") if xargs_wall else "-")
        res = {}
        for col, sysname in zip(("baseline", "swarm"), systems):
            vals, na, errors = values(runs, sysname, wl, path)
            med, spread = agg(vals, how)
            res[col] = {"system": sysname, "median": med, "spread_pct": spread, "values": vals, "na": na,
                            "errors": errors, "cell": cell(med, spread, unit, na, errors, how)}
        b, s = res["baseline"]["median"], res["swarm"]["median"]
        ratio = s / b if b and s is not None and path != "@overhead" else None
        rc = "-" if ratio is None else ("%.3g" % ratio)
        rows.append({"row": label, "seed_target": target, "workload": wl, "metric": path,
                     "unit": unit, "aggregate": how, "baseline": res["baseline"],
                     "swarm": res["swarm"], "ratio_swarm_over_baseline": ratio})
        line = [label, target, res["baseline"]["cell"], res["swarm"]["cell"], rc]
        md.append("| " + " | ".join(line) + " |")
        text.append(line)

    facts = old_facts or machine(args)
    if args.note:
        facts["note"] = args.note
    png = plot(runs, args.out)
    png_fds = plot(runs, args.out + "-fds", "fds_peak", "open fds (peak, per coordinator)",
                   "File descriptors per coordinator vs agents, median", logy=False)
    png_tl, curves = None, {}
    if args.timelines and os.path.isdir(args.timelines):
        files = [os.path.join(args.timelines, n) for n in os.listdir(args.timelines)
                 if n.endswith(".json")]
        png_tl, curves = timeline_cdf.plot(files, args.out + "-timeline")
    doc = {"schema_version": 1, "machine": facts, "swarm_run_available": args.have_run == "1",
           "swarm_cli_available": args.have_cli == "1", "rows": rows, "runs": runs,
           "plot": os.path.basename(png) if png else None,
           "plot_fds": os.path.basename(png_fds) if png_fds else None,
           "plot_timeline": os.path.basename(png_tl) if png_tl else None}
    with open(args.out + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    note = ("Machine: %s, %s cores (%s), kernel %s, load %s -> %s; %s pass, %d repetitions, "
            "median ±half range; ratio = swarm/baseline (for msg/s and agents/s higher is better, "
            "for times lower is better)." % (facts["arch"], facts["cores"], facts["cpu"],
                                              facts["kernel"], facts["loadavg_before"],
                                              facts["loadavg_after"], args.mode, args.reps))
    if facts.get("note"):
        note += " " + facts["note"]
    with open(args.out + ".md", "w") as f:
        f.write("# swarm vs baseline (%s)\n\n%s\n\n" % (os.path.basename(args.out), note))
        f.write("\n".join(md) + "\n")
        if png:
            f.write("\n![coordination time vs agents](%s)\n" % os.path.basename(png))
        if png_fds:
            f.write("\n![fds per coordinator vs agents](%s)\n" % os.path.basename(png_fds))
        if curves:
            f.write("\nFrom the runs' --timeline files (first repetition of each):\n\n")
            f.write("\n".join(timeline_cdf.md_rows(curves)) + "\n")
        if png_tl:
            f.write("\n![spawn and answer CDFs, flat vs hybrid](%s)\n" % os.path.basename(png_tl))

    widths = [52, 26, 30, 30, 8]
    print(note)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for line in text:
        if len(line) == 1:
            print("\n" + line[0])
        else:
            print("  ".join(str(c).ljust(w) for c, w in zip(line, widths)))
    print("\nwrote %s.json, %s.md%s%s" % (args.out, args.out, ", " + png if png else "",
                                          ", " + png_fds if png_fds else ""))


if __name__ == "__main__":
    main()
