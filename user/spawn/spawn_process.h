/*
 * Process spawning for agents and coordinators.
 *
 * spawn_process() starts argv with the given stdio fds, an emptied signal
 * mask and default signal dispositions, optionally as the leader of a new
 * process group and directly inside a cgroup v2 group, and returns the pid
 * together with a pidfd (so exits are seen through epoll, never by
 * polling), unless the caller reaps on SIGCHLD (no_pidfd).
 *
 * Fast path: clone3(CLONE_PIDFD | CLONE_INTO_CGROUP): the
 * child is placed into the cgroup before it runs a single instruction, so
 * not even a grandchild forked early can escape it. Fallback (old kernels,
 * clone3 refused, as Docker's default seccomp profile does): posix_spawn,
 * then pidfd_open and a write to cgroup.procs; applets and --user spawns,
 * which must run our code in the child, fork and the child moves itself
 * into the cgroup first.
 * pidfd_open on our own unreaped child cannot race with pid reuse.
 *
 * Every fd of the parent except the three given is closed in the child.
 *
 * No CLONE_VM|CLONE_VFORK (as posix_spawn does): tried, it gained nothing
 * measurable, and with a shared mm the kernel records the parent's RSS
 * high-water mark as the child's, so agents' RSS peaks read the master's.
 */
#ifndef SWARM_SPAWN_PROCESS_H
#define SWARM_SPAWN_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

struct priv_user;

struct spawn_req {
	char *const *argv;      /* argv[0] must be a path (see spawn_resolve) */
	char *const *envp;
	int stdin_fd;           /* -1: /dev/null */
	int stdout_fd;          /* -1: /dev/null */
	int stderr_fd;          /* -1: /dev/null */
	int cgroup_fd;          /* -1: stay in the parent's cgroup */
	int new_pgroup;         /* 1: child leads a new process group */
	int die_with_parent;    /* 1: PR_SET_PDEATHSIG(SIGKILL) before exec, so
				   agents never outlive a killed coordinator */
	/* With stdout_fd and stderr_fd both -1 and log_name set, the child
	 * opens log_dirfd/log_name (append) for both itself: creating a file
	 * is the dearest step of a spawn on ext4, so it runs in parallel with
	 * the parent instead of serially in it. */
	int log_dirfd;
	const char *log_name;
	/* Built-in agent ("applet") of this same binary: the child runs
	 * applet(applet_argc, applet_argv) with envp as its environment and
	 * exits with its return value, without exec (clone3 or fork: a
	 * copy of our memory); NULL: exec argv. */
	int (*applet)(int argc, char **argv);
	int applet_argc;
	char **applet_argv;
	/* Non-NULL: the child becomes this user (groups, gid, uid) before it
	 * opens its log or runs a single line of agent code (clone3 or fork). */
	const struct priv_user *user;
	/* 1: the child sets its nice value to nice and its policy to
	 * SCHED_OTHER (the parent raised its own priority, maybe to realtime,
	 * and children must not inherit that). */
	int set_nice;
	int nice;
	/* 1: no pidfd (out->pidfd is -1); the caller reaps by pid, on
	 * SIGCHLD (coord_pool.c: one fd for every agent). */
	int no_pidfd;
};

struct spawned {
	pid_t pid;
	int pidfd;              /* O_CLOEXEC; readable when the child exits;
				   -1 with no_pidfd */
};

/* 0 or -errno. */
int spawn_process(const struct spawn_req *r, struct spawned *out);

/* Find cmd like execvp would ($PATH unless it holds a '/'), checking that
 * it is an executable regular file. 0 or -ENOENT / -EACCES / -ENAMETOOLONG. */
int spawn_resolve(const char *cmd, char *out, size_t len);

/* Reap a child whose pidfd became readable: returns its wait status
 * (as from waitpid) or -errno. Closes nothing. */
int spawn_reap(int pidfd, int *wstatus);

/* Exit status as one int for reports: exit code (0..255), or -signal. */
int spawn_exit_code(int wstatus);

#endif
