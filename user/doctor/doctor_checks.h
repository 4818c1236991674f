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
/* Directory of this process's cgroup v2 group, or -ENOENT without v2. */
int own_cgroup_v2(char *root, size_t rlen, char *dir, size_t dlen);

void doctor_container_check(struct doctor_report *r); /* runtime, cgroup namespace */
void doctor_seccomp_check(struct doctor_report *r);   /* bpf/perf_event_open vs the filter */
void doctor_pidns_check(struct doctor_report *r);     /* the tracer needs the host's pids */
void doctor_host_checks(struct doctor_report *r);     /* shm, fds, pids */
void doctor_kernel_checks(struct doctor_report *r);   /* uname, BTF, lockdown, tracefs, cgroup */
void doctor_bpf_checks(struct doctor_report *r);      /* privileges, probes, signals */

#endif
