/* What /proc says about a process: its parent and start time, its open
 * fds, the list of every process, our own RSS peak and cgroup. The one
 * place that parses /proc/PID/stat (comm may hold ')' and spaces). */
#ifndef SWARM_PROC_H
#define SWARM_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_ent {
	pid_t pid, ppid;
	uint64_t start;         /* starttime, clock ticks after boot */
};

/* ppid and starttime of pid (either may be NULL). 0, -ENOENT (gone),
 * -EBADMSG, other -errno. */
int proc_stat(pid_t pid, pid_t *ppid, uint64_t *start);
/* Every process now (those that vanish while listed are left out);
 * *out is malloc'ed. 0 or -errno. */
int proc_list(struct proc_ent **out, size_t *n);
/* Open fds of pid (0: this process), or -errno. */
int proc_fd_count_of(pid_t pid);
unsigned proc_fd_count(void);     /* open fds of this process */
uint64_t proc_rss_peak_kb(void);  /* ru_maxrss of this process */
uint64_t proc_children_rss_peak_kb(void);
/* Our own cgroup path (as in /proc/self/cgroup, "/" for the root): the v2
 * one ("0::PATH") with controller NULL, else the v1 group of exactly that
 * controller ("N:pids:PATH"). 0, -ENOENT (no such line), -ENAMETOOLONG,
 * other -errno. */
int proc_cgroup(const char *controller, char *out, size_t len);
/* Mount point (from /proc/self/mountinfo) of the first mount whose fstype
 * is fstype and, if given, whose super options contain opt; 0, -ENOENT,
 * other -errno. Mount points with escaped characters (spaces) do not fit
 * as they are and are passed over. */
int proc_find_mount(const char *fstype, const char *opt, char *out, size_t len);

#endif
