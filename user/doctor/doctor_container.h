/*
 * swarm doctor inside containers: which runtime we are in, whether its
 * seccomp filter lets bpf() and perf_event_open() through (a filter, not a
 * missing capability, is what keeps Docker's default containers from
 * tracing), and whether a process can be moved into a child cgroup and
 * killed there (delegation: what placing agents in the swarm's group
 * needs, beyond making the directory).
 *
 * The verdicts are pure functions of what the probes found, so the unit
 * tests can feed them every case (tests/unit/test_doctor_container.c).
 */
#ifndef SWARM_DOCTOR_CONTAINER_H
#define SWARM_DOCTOR_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "doctor.h"

/* What the seccomp probe found. The probe calls bpf() with a command no
 * kernel has (answer: EINVAL) and perf_event_open() with a NULL attr
 * (answer: EFAULT), each in a child process, so a filter that kills is
 * seen as the child's SIGSYS and not as doctor's own death. */
struct doctor_seccomp {
	int mode;               /* /proc/self/status Seccomp: 0 off, 1 strict, 2 filter; -1 unknown */
	unsigned filters;       /* Seccomp_filters: */
	int bpf_err;            /* errno of bpf(bogus cmd); 0 if it "succeeded" */
	int perf_err;           /* errno of perf_event_open(NULL) */
	bool bpf_killed, perf_killed;
	bool bpf_capable;       /* CAP_BPF or CAP_SYS_ADMIN effective */
	int unpriv_disabled;    /* kernel.unprivileged_bpf_disabled, -1 unknown */
	/* Before 6.5 a kernel refuses every bpf() command with EPERM, before
	 * looking at it, to callers without CAP_BPF when unprivileged BPF is
	 * disabled: then EPERM proves nothing about the filter. */
	bool kernel_checks_caps_first;
};

/* Parse "Seccomp:" and "Seccomp_filters:" out of /proc/PID/status text:
 * 0, or -ENOENT when there is no Seccomp line (kernel without seccomp). */
int doctor_parse_seccomp_status(const char *status, int *mode, unsigned *filters);

/* OK / WARN / FAIL with the text of the "seccomp" line; *fix points to a
 * static string (empty when OK). */
enum doctor_status doctor_seccomp_verdict(const struct doctor_seccomp *s, char *found,
					  size_t len, const char **fix);

/* The container runtime from its marker files and environment: "docker",
 * "podman", "kubernetes" (KUBERNETES_SERVICE_HOST), the value of pid 1's
 * container= variable (lxc, systemd-nspawn), or NULL for none found. Any
 * argument may be NULL / false. The marker files count only when the
 * root filesystem looks like an image (overlay, or a bind of a
 * subdirectory): VM images built from container images keep a stale
 * /.dockerenv on a plain ext4 root. */
const char *doctor_container_kind(bool dockerenv, bool containerenv, bool root_is_image,
				  const char *k8s_host, const char *pid1_container);
/* From /proc/self/mountinfo text: is the last mount on "/" an overlay
 * (or aufs, fuse-overlayfs) or a bind of a subdirectory? */
bool doctor_root_is_image(const char *mountinfo);

/* Move a child process into the existing empty group dir, check it is
 * there, end it through cgroup.kill (when use_kill; else SIGKILL) and
 * reap it. 0, or -errno of the step that failed; *step names it. */
int doctor_cgroup_place(const char *dir, bool use_kill, const char **step);

#endif
