/* Agent spawning: clone3 with a pidfd straight into a cgroup; posix_spawn
 * (or fork, for applets and --user) + pidfd_open as the fallback. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"
#include "spawn_process.h"
#include "util.h"

extern char **environ;

/* Set once clone3 turned out to be unusable; read-only afterwards, so a
 * process-wide flag is harmless (it only caches a kernel property). */
static int clone3_broken;

static void child_setup_fd(int from, int to)
{
	if (from < 0) {
		from = open("/dev/null", O_RDWR);
		if (from < 0)
			_exit(127);
	}
	if (from == to) {
		/* dup2 would keep O_CLOEXEC set; clear it instead. */
		fcntl(from, F_SETFD, 0);
		return;
	}
	if (dup2(from, to) < 0)
		_exit(127);
}

/* Runs in the child (its own copy of memory; the parent goes on: no
 * CLONE_VFORK, see the note in spawn_process.h).
 * Only async-signal-safe calls: the parent may have other threads. */
static void child_exec(const struct spawn_req *r, pid_t parent)
{
	sigset_t none;
	int fds[3] = { r->stdin_fd, r->stdout_fd, r->stderr_fd };
	static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP,
				     SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2 };
	int i;

	if (r->set_nice) {
		static const struct sched_param normal = { .sched_priority = 0 };

		/* a realtime parent (coord_master.c) is never passed on */
		sched_setscheduler(0, SCHED_OTHER, &normal);
		setpriority(PRIO_PROCESS, 0, r->nice);
	}
	if (r->user && priv_child_become(r->user))
		_exit(127);
	if (fds[1] < 0 && fds[2] < 0 && r->log_name) {
		fds[1] = openat(r->log_dirfd, r->log_name, O_WRONLY | O_CREAT |
				O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		fds[2] = fds[1];
	}
	/* Move the fds out of the 0..2 range first so dup2 cannot clobber one
	 * we still need. */
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i) {
			fds[i] = fcntl(fds[i], F_DUPFD, 3);
			if (fds[i] < 0)
				_exit(127);
		}
	for (i = 0; i < 3; i++)
		child_setup_fd(fds[i], i);
	syscall(SYS_close_range, 3, ~0u, 0);
	/* Handlers reset on exec by themselves; ignored signals do not. */
	for (i = 0; i < (int)(sizeof(reset) / sizeof(reset[0])); i++)
		signal(reset[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (r->new_pgroup)
		setpgid(0, 0);
	if (r->die_with_parent) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent may have died before prctl took effect. */
		if (getppid() != parent)
			_exit(127);
	}
	if (r->applet) {
		/* Our own memory copy: the parent's other thread (the bus
		 * notify helper) takes no locks, so malloc and stdio are in a
		 * consistent state here. */
		environ = (char **)r->envp;
		/* ps/top show the applet, not a copy of the coordinator. */
		if (r->applet_argc > 0)
			prctl(PR_SET_NAME, r->applet_argv[0]);
		_exit(r->applet(r->applet_argc, r->applet_argv));
	}
	execve(r->argv[0], r->argv, r->envp);
	_exit(127);
}

static int spawn_clone3(const struct spawn_req *r, struct spawned *out)
{
	struct clone_args ca;
	struct priv_fs fs;
	int pidfd = -1;
	long pid;
	pid_t self = getpid();

	memset(&ca, 0, sizeof(ca));
	if (!r->no_pidfd) {
		ca.flags = CLONE_PIDFD;
		ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	}
	ca.exit_signal = SIGCHLD;
	if (r->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)r->cgroup_fd;
	}
	/* The kernel checks the swarm's cgroup (root's) against our file
	 * system uid, which is the agents' user after priv_drop. */
	fs = priv_fs_root();
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		child_exec(r, self);
	if (pid < 0) {
		int err = -errno;

		priv_fs_restore(fs);
		return err;
	}
	priv_fs_restore(fs);
	/* CLONE_PIDFD fds are always close-on-exec. */
	out->pid = (pid_t)pid;
	out->pidfd = pidfd;
	return 0;
}

static int cgroup_attach_pid(int cgroup_fd, pid_t pid)
{
	char buf[32];
	int fd, n, err = 0;

	fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(fd, buf, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

static int spawn_posix(const struct spawn_req *r, struct spawned *out)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int fds[3] = { r->stdin_fd, r->stdout_fd, r->stderr_fd };
	pid_t pid;
	int i, err, pidfd;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (fds[1] < 0 && fds[2] < 0 && r->log_name) {
		fds[1] = openat(r->log_dirfd, r->log_name, O_WRONLY | O_CREAT |
				O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		fds[2] = fds[1];
	}
	for (i = 0; i < 3; i++) {
		if (fds[i] < 0)
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
		else
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	}
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	if (r->new_pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&at, 0);
	}
	posix_spawnattr_setflags(&at, flags);
	err = posix_spawn(&pid, r->argv[0], &fa, &at, r->argv, r->envp);
	if (fds[1] >= 0 && fds[1] != r->stdout_fd)
		close(fds[1]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (err)
		return -err;
	pidfd = r->no_pidfd ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && !r->no_pidfd) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	if (pidfd >= 0)
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	/* Small window: the child runs before it is moved. Only the fallback
	 * path has it; clone3 places the child atomically. */
	if (r->cgroup_fd >= 0)
		cgroup_attach_pid(r->cgroup_fd, pid);
	out->pid = pid;
	out->pidfd = pidfd;
	return 0;
}

/* clone3 refused (Docker's default seccomp profile answers ENOSYS to it
 * without CAP_SYS_ADMIN) and the child must run our code before or
 * instead of an exec (an applet, a --user switch): a plain fork, which
 * is what clone3 with no flags is. The child moves itself into the
 * cgroup before any agent code runs, so nothing it starts escapes it;
 * the pidfd comes from pidfd_open on our unreaped child. */
static int spawn_fork(const struct spawn_req *r, struct spawned *out)
{
	struct priv_fs fs;
	pid_t self = getpid(), pid;
	int pidfd = -1;

	fs = priv_fs_root();
	pid = fork();
	if (pid == 0) {
		/* "0" is the writer itself; no snprintf in a forked child. */
		int fd = r->cgroup_fd < 0 ? -1 :
			 openat(r->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

		if (r->cgroup_fd >= 0 && (fd < 0 || write(fd, "0\n", 2) != 2))
			_exit(127);
		if (fd >= 0)
			close(fd);
		child_exec(r, self);
	}
	priv_fs_restore(fs);
	if (pid < 0)
		return -errno;
	if (!r->no_pidfd) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			int err = -errno;

			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return err;
		}
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	}
	out->pid = pid;
	out->pidfd = pidfd;
	return 0;
}

int spawn_process(const struct spawn_req *r, struct spawned *out)
{
	int err;

	if (!r || !r->argv || !r->argv[0] || !out)
		return -EINVAL;
	if (!clone3_broken) {
		/* Diagnostic knob, so tests can cover the fallback path. */
		const char *no = getenv("SWARM_NO_CLONE3");

		if (no && *no && strcmp(no, "0"))
			clone3_broken = 1;
	}
	if (!clone3_broken) {
		err = spawn_clone3(r, out);
		if (err != -ENOSYS && err != -EPERM && err != -EINVAL &&
		    err != -E2BIG && err != -EOPNOTSUPP)
			return err;
		clone3_broken = 1;
	}
	/* posix_spawn cannot run an applet or change the user between fork
	 * and exec. */
	if (r->applet || r->user)
		return spawn_fork(r, out);
	return spawn_posix(r, out);
}

static int is_exec_file(const char *p)
{
	struct stat st;

	if (stat(p, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(p, X_OK) < 0 ? -errno : 0;
}

int spawn_resolve(const char *cmd, char *out, size_t len)
{
	const char *path, *p, *end;
	int err = -ENOENT, e;

	if (!cmd || !*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		if (strlen(cmd) >= len)
			return -ENAMETOOLONG;
		e = is_exec_file(cmd);
		if (e)
			return e;
		strcpy(out, cmd);
		return 0;
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		size_t dl;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dl = (size_t)(end - p);
		if (dl + 1 + strlen(cmd) + 1 <= len) {
			if (dl == 0)
				snprintf(out, len, "./%s", cmd);
			else
				snprintf(out, len, "%.*s/%s", (int)dl, p, cmd);
			e = is_exec_file(out);
			if (!e)
				return 0;
			if (e == -EACCES)
				err = e;
		}
		if (!*end)
			break;
	}
	return err;
}

int spawn_reap(int pidfd, int *wstatus)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (RETRY_EINTR(waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED)) < 0)
		return -errno;
	switch (si.si_code) {
	case CLD_EXITED: *wstatus = W_EXITCODE(si.si_status, 0); break;
	case CLD_KILLED: *wstatus = si.si_status; break;
	case CLD_DUMPED: *wstatus = si.si_status | 0x80; break;
	default: *wstatus = 0; break;
	}
	return 0;
}

int spawn_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return -WTERMSIG(wstatus);
	return 0;
}
