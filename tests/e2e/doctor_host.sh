#!/usr/bin/env bash
# swarm doctor on this very host, as root: BTF, BPF privileges and a real
# tracepoint attach are OK; without tracefs mounted (private mount
# namespace) it is found mountable and the probe still attaches; with the
# BPF capabilities dropped the BPF lines turn WARN and the exit code stays 0
# (1 with --strict).
set -u
. "$(dirname "$0")/doctor_lib.sh.inc"
[ "$(id -u)" -eq 0 ] || { echo "needs root (BPF probe, tracefs mount)"; exit 77; }

out=$($S doctor -n 100); rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || fail "doctor -n 100 exit $rc on this host"
for c in shm_mount shm_size nofile kernel btf bpf_privileges bpf_tracepoint bpf_features cgroup; do
	expect "$c" OK "$out"
done
printf '%s\n' "$out" | grep -q 'bpf_tracepoint .*counted [1-9][0-9]* events on 3 forks' ||
	fail "tracepoint probe did not count our forks"
printf '%s\n' "$out" | tail -n 1 | grep -q '^swarm doctor: [0-9]* ok, 0 warn, 0 fail' ||
	fail "summary line"

# tracefs unmounted in a private mount namespace: mountable, probe still works.
before=$(grep -c ' - tracefs ' /proc/self/mountinfo)
out=$(unshare -m --propagation private bash -c \
	'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; '"$S"' doctor -n 10')
expect tracefs OK "$out"
printf '%s\n' "$out" | grep -q 'tracefs .*not mounted, but mountable' || fail "tracefs not seen as unmounted"
expect bpf_tracepoint OK "$out"
printf '%s\n' "$out" | grep -q 'tracefs mounted privately for the probe' || fail "probe did not mount privately"
[ "$(grep -c ' - tracefs ' /proc/self/mountinfo)" = "$before" ] || fail "host mount table changed"

# No BPF capabilities: WARN, not FAIL; the swarm itself still runs.
drop="setpriv --inh-caps=-all --bounding-set=-bpf,-perfmon,-sys_admin"
out=$($drop $S doctor -n 10); rc=$?
[ $rc -eq 0 ] || fail "warnings only must exit 0, got $rc"
expect bpf_privileges WARN "$out"
expect bpf_tracepoint WARN "$out"
expect signal_spawn WARN "$out"
expect shm_size OK "$out"
$drop $S doctor -n 10 --strict >/dev/null; rc=$?
[ $rc -eq 1 ] || fail "--strict with warnings must exit 1, got $rc"
# CAP_BPF + CAP_PERFMON without CAP_SYS_ADMIN: enough once tracefs is there,
# and without tracefs (cannot mount it) the reason is named.
bpfcaps="setpriv --inh-caps=-all --bounding-set=-all,+bpf,+perfmon,+dac_override"
out=$(unshare -m --propagation private bash -c \
	'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; '"$bpfcaps $S"' doctor -n 10')
expect bpf_privileges OK "$out"
expect bpf_tracepoint OK "$out"
expect signal_latency OK "$out"
out=$(unshare -m --propagation private bash -c \
	'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; '"$bpfcaps $S"' doctor -n 10')
expect tracefs WARN "$out"
expect bpf_tracepoint WARN "$out"
printf '%s\n' "$out" | grep -q 'bpf_tracepoint .*tracefs is not mounted' || fail "tracefs not named as the cause"
# The signals are raw tracepoints (raw_tp): they work without tracefs.
expect signal_spawn OK "$out"
expect signal_latency OK "$out"
echo "doctor on this host: OK as root, WARN without BPF capabilities"
