/* Private to user/doctor*.c: the check groups and their shared helpers. */
#ifndef SWARM_DOCTOR_CHECKS_H
#define SWARM_DOCTOR_CHECKS_H

#include <stddef.h>

#include "doctor.h"

/* Append a check; found/fix are printf formats (fix may be NULL). */
void check_add(struct doctor_report *r, const char *name, enum doctor_status s,
	       const char *fix, const char *found_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "1.5 MiB" style size text. */
void fmt_size(char *buf, size_t len, uint64_t bytes);
/* Mount point of the first mount whose fstype is `fstype` and, if given,
 * whose super options contain `opt`; 0 or -ENOENT. */
int find_mount(const char *fstype, const char *opt, char *out, size_t len);
/* Directory of this process's cgroup v2 group, or -ENOENT without v2. */
int own_cgroup_v2(char *root, size_t rlen, char *dir, size_t dlen);

/* Where tracefs is mounted now (mountinfo), 0 or -ENOENT. */
int tracefs_dir(char *out, size_t len);
/* In a child process only: enter a private mount namespace and mount
 * tracefs at /sys/kernel/tracing there; 0 or -errno. */
int tracefs_private_mount(void);

void doctor_container_check(struct doctor_report *r); /* runtime, cgroup namespace */
void doctor_seccomp_check(struct doctor_report *r);   /* bpf/perf_event_open vs the filter */
void doctor_pidns_check(struct doctor_report *r);     /* the tracer needs the host's pids */
void doctor_host_checks(struct doctor_report *r);     /* shm, fds, pids */
void doctor_kernel_checks(struct doctor_report *r);   /* uname, BTF, lockdown, tracefs, cgroup */
void doctor_bpf_checks(struct doctor_report *r);      /* privileges, probes, signals */

#endif
