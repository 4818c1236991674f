#!/usr/bin/env bash
# examples/k8s/swarm-job.yaml, parsed with a YAML parser, holds what
# docs/containers.md promises: each Job mounts a memory-backed emptyDir
# on /dev/shm with a sizeLimit that swarm doctor calls OK for the -n of
# its command (twice the need) and that fits under the memory limit; the
# command runs `swarm run`; the traced Job adds BPF and PERFMON and
# hostPID, the untraced one asks for no privileges and says --no-trace.
# (tests/e2e/container.sh runs both commands in a container.)
set -u
S=${SWARM_BIN:-build/swarm}
ROOT=${SWARM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3   # Debian's, with python3-yaml (a pyenv python may lack it)
"$PY" -c 'import yaml' 2> /dev/null || { echo "SKIP container_k8s: python3-yaml is not installed (tools/deps.sh)"; exit 77; }
"$PY" - "$ROOT/examples/k8s/swarm-job.yaml" "$S" <<'PY'
import json, re, subprocess, sys, yaml

UNITS = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "K": 1000, "M": 10**6, "G": 10**9, "": 1}

def qty(s):
    m = re.fullmatch(r"([0-9]+)([KMG]i?)?", str(s))
    assert m, "not a quantity: %r" % s
    return int(m.group(1)) * UNITS[m.group(2) or ""]

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
names = {d["metadata"]["name"]: d for d in docs}
if set(names) != {"swarm", "swarm-traced"}:
    fail("jobs: %s" % sorted(names))
for name, job in names.items():
    if job.get("kind") != "Job" or job.get("apiVersion") != "batch/v1":
        fail("%s: not a batch/v1 Job" % name)
    pod = job["spec"]["template"]["spec"]
    if pod.get("restartPolicy") != "Never":
        fail("%s: restartPolicy must be Never (a swarm's exit code is its verdict)" % name)
    vols = {v["name"]: v for v in pod["volumes"]}
    (c,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    if "/dev/shm" not in mounts:
        fail("%s: nothing mounted on /dev/shm" % name)
    ed = vols[mounts["/dev/shm"]].get("emptyDir") or fail("%s: /dev/shm is not an emptyDir" % name)
    if ed.get("medium") != "Memory":
        fail("%s: /dev/shm emptyDir medium is %r, not Memory" % (name, ed.get("medium")))
    size = qty(ed["sizeLimit"])
    cmd = c["command"]
    if cmd[:2] != ["swarm", "run"] or "--" not in cmd:
        fail("%s: command does not run swarm run: %s" % (name, cmd))
    n = int(cmd[cmd.index("-n") + 1])
    rep = json.loads(subprocess.run([sys.argv[2], "doctor", "-n", str(n), "--json"],
                                    capture_output=True, text=True).stdout)
    need = rep["shm_need_bytes"]
    if size < 2 * need:
        fail("%s: sizeLimit %s is under twice doctor's need for %d agents (%d bytes)"
             % (name, ed["sizeLimit"], n, need))
    mem = qty(c["resources"]["limits"]["memory"])
    if mem < size + (256 << 20):
        fail("%s: memory limit %s leaves too little beside the tmpfs (%s)"
             % (name, c["resources"]["limits"]["memory"], ed["sizeLimit"]))
    caps = set((c.get("securityContext") or {}).get("capabilities", {}).get("add", []))
    if name == "swarm-traced":
        if not {"BPF", "PERFMON"} <= caps:
            fail("traced: capabilities.add %s lacks BPF, PERFMON" % sorted(caps))
        if pod.get("hostPID") is not True:
            fail("traced: hostPID must be true (swarm refuses to trace in a PID namespace)")
        if "--no-trace" in cmd:
            fail("traced: command says --no-trace")
    else:
        if caps or pod.get("hostPID") or (c.get("securityContext") or {}).get("privileged"):
            fail("untraced: asks for privileges")
        if "--no-trace" not in cmd:
            fail("untraced: command should say --no-trace")
    print("ok %s: shm emptyDir Memory %s (doctor needs %.1f MiB for %d), caps %s, hostPID %s"
          % (name, ed["sizeLimit"], need / 2**20, n, sorted(caps) or "none", bool(pod.get("hostPID"))))
PY
