/* Container checks: the runtime, its seccomp filter against bpf() and
 * perf_event_open(), and moving a process into a child cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "doctor_checks.h"
#include "doctor_container.h"
#include "proc.h"
#include "trace.h"
#include "util.h"

/* No kernel has this bpf() command; ~0 >> 1 keeps it positive. */
#define BPF_BOGUS_CMD 0x7fffffff

int doctor_parse_seccomp_status(const char *status, int *mode, unsigned *filters)
{
	const char *p = strstr(status, "\nSeccomp:");
	const char *q = strstr(status, "\nSeccomp_filters:");

	if (!p && !strncmp(status, "Seccomp:", 8))
		p = status - 1;
	if (!p || sscanf(p + 1, "Seccomp: %d", mode) != 1)
		return -ENOENT;
	*filters = 0;
	if (q && sscanf(q + 1, "Seccomp_filters: %u", filters) != 1)
		*filters = 0;
	return 0;
}

static const char seccomp_fix[] =
	"Docker's default profile allows bpf and perf_event_open only with CAP_SYS_ADMIN "
	"(Docker 20.10) or CAP_BPF/CAP_PERFMON (Docker 23 and later): add them, or "
	"--security-opt seccomp=PROFILE allowing both (unconfined as a last resort); "
	"Kubernetes: securityContext.seccompProfile {type: Localhost} with such a profile, "
	"or Unconfined";

/* One call's part of the line: "" when the filter let it through. */
static bool call_text(char *out, size_t len, const char *call, int err, int want,
		      bool killed, bool unsure)
{
	if (killed) {
		snprintf(out, len, "%s() kills the process (SIGSYS)", call);
		return true;
	}
	if (err == want) {
		out[0] = '\0';
		return false;
	}
	snprintf(out, len, "%s() answers %s where the kernel says %s%s", call,
		 err ? strerror(err) : "success", strerror(want),
		 unsure ? " (this kernel also says so without CAP_BPF: not conclusive)" : "");
	return !unsure;
}

enum doctor_status doctor_seccomp_verdict(const struct doctor_seccomp *s, char *found,
					  size_t len, const char **fix)
{
	char b[160], p[160];
	bool unsure, bb, pb;

	*fix = "";
	if (s->mode <= 0) {
		snprintf(found, len, "%s", s->mode == 0 ? "no seccomp filter on this process"
					     : "no seccomp in this kernel");
		return DOCTOR_OK;
	}
	if (s->mode == 1) {   /* strict mode: we could not be running this */
		snprintf(found, len, "strict seccomp mode");
		return DOCTOR_OK;
	}
	unsure = s->bpf_err == EPERM && !s->bpf_capable && s->unpriv_disabled != 0 &&
		 s->kernel_checks_caps_first;
	bb = call_text(b, sizeof(b), "bpf", s->bpf_err, EINVAL, s->bpf_killed, unsure);
	pb = call_text(p, sizeof(p), "perf_event_open", s->perf_err, EFAULT, s->perf_killed,
		       false);
	if (!bb && !pb) {
		snprintf(found, len, "seccomp filter (%u) lets bpf() and perf_event_open() "
			 "through%s%s", s->filters, unsure ? "; " : "", unsure ? b : "");
		return DOCTOR_OK;
	}
	*fix = seccomp_fix;
	snprintf(found, len, "seccomp filter (%u) blocks BPF: %s%s%s; BPF signals stay off "
		 "whatever the capabilities", s->filters, b, b[0] && p[0] ? ", " : "", p);
	/* A killing filter ends a traced run at attach time, when swarm has
	 * the capabilities to try at all. */
	if ((s->bpf_killed || s->perf_killed) && s->bpf_capable) {
		*fix = "swarm run --no-trace, or a seccomp profile that returns an errno "
		       "(or allows bpf and perf_event_open) instead of killing";
		return DOCTOR_FAIL;
	}
	return DOCTOR_WARN;
}

/* Run one probe call in a child: its errno, or -1 when the filter killed
 * it (SIGSYS), or -2 when the child could not run. */
static int probe_call(int which)
{
	int status;
	pid_t pid = fork();
	long rc;

	if (pid < 0)
		return -2;
	if (pid == 0) {
		rc = which == 0 ? syscall(SYS_bpf, BPF_BOGUS_CMD, NULL, 0)
				: syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
		_exit(rc < 0 ? (errno & 0xff) : 0);
	}
	if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
		return -2;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

static bool kernel_before(unsigned maj, unsigned min)
{
	struct utsname u;
	unsigned a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return true;   /* unknown: assume the old, less conclusive rule */
	return a < maj || (a == maj && b < min);
}

void doctor_seccomp_check(struct doctor_report *r)
{
	struct doctor_seccomp s = { .mode = -1, .unpriv_disabled = -1 };
	char status[8192], found[DOCTOR_TEXT], num[32];
	const char *fix;
	int b, p;
	enum doctor_status st;

	if (read_text_at(AT_FDCWD, "/proc/self/status", 0, status, sizeof(status)) ||
	    doctor_parse_seccomp_status(status, &s.mode, &s.filters))
		s.mode = -1;
	if (!read_text_at(AT_FDCWD, "/proc/sys/kernel/unprivileged_bpf_disabled", 0, num, sizeof(num)))
		s.unpriv_disabled = atoi(num);
	s.bpf_capable = caps_have(CAP_BPF) || caps_have(CAP_SYS_ADMIN);
	s.kernel_checks_caps_first = kernel_before(6, 5);
	b = probe_call(0);
	p = probe_call(1);
	if (b == -2 || p == -2) {
		check_add(r, "seccomp", DOCTOR_WARN, "run swarm doctor again",
			  "the seccomp probe process failed: %s", strerror(errno));
		return;
	}
	s.bpf_killed = b == -1;
	s.perf_killed = p == -1;
	s.bpf_err = b < 0 ? 0 : b;
	s.perf_err = p < 0 ? 0 : p;
	st = doctor_seccomp_verdict(&s, found, sizeof(found), &fix);
	check_add(r, "seccomp", st, fix, "%s", found);
}

const char *doctor_container_kind(bool dockerenv, bool containerenv, bool root_is_image,
				  const char *k8s_host, const char *pid1_container)
{
	if (k8s_host && k8s_host[0])
		return "kubernetes";
	if (dockerenv && root_is_image)
		return "docker";
	if (containerenv && root_is_image)
		return "podman";
	if (pid1_container && pid1_container[0])
		return pid1_container;
	return NULL;
}

bool doctor_root_is_image(const char *mi)
{
	char root[4096], mnt[4096], fs[64];
	const char *line, *dash;
	bool image = false;

	for (line = mi; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s", fs) != 1 || strcmp(mnt, "/"))
			continue;
		image = strcmp(root, "/") || !strcmp(fs, "overlay") || !strcmp(fs, "aufs") ||
			!strcmp(fs, "fuse.fuse-overlayfs");
	}
	return image;
}

/* pid 1's container= variable (set by lxc, systemd-nspawn, podman). */
static void pid1_container(char *out, size_t len)
{
	char env[16384];
	int fd = open("/proc/1/environ", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t i;

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read_full(fd, env, sizeof(env) - 1);
	close(fd);
	if (n <= 0)
		return;
	env[n] = '\0';
	for (i = 0; i < (size_t)n; i += strlen(env + i) + 1)
		if (!strncmp(env + i, "container=", 10)) {
			snprintf(out, len, "%.31s", env + i + 10);
			return;
		}
}

void doctor_container_check(struct doctor_report *r)
{
	char c1[32], own[4096] = "?";
	static char mi[65536];   /* doctor runs once per process */
	const char *kind;
	bool ns_root;

	pid1_container(c1, sizeof(c1));
	if (read_text_at(AT_FDCWD, "/proc/self/mountinfo", 0, mi, sizeof(mi)))
		mi[0] = '\0';
	kind = doctor_container_kind(access("/.dockerenv", F_OK) == 0,
				     access("/run/.containerenv", F_OK) == 0,
				     doctor_root_is_image(mi),
				     getenv("KUBERNETES_SERVICE_HOST"), c1);
	proc_cgroup(NULL, own, sizeof(own));
	/* In a cgroup namespace of its own a container sees itself at "/". */
	ns_root = !strcmp(own, "/");
	if (!kind) {
		check_add(r, "container", DOCTOR_OK, NULL,
			  "none found (looked for KUBERNETES_SERVICE_HOST, container= of pid 1, "
			  "/.dockerenv or /run/.containerenv on an image root filesystem)");
		return;
	}
	check_add(r, "container", DOCTOR_OK, NULL,
		  "%s; cgroup v2 path of this process %s (%s); checks below are for the "
		  "container, fixes name its runtime's options", kind, own,
		  ns_root ? "root of a cgroup namespace, or no v2 group" : "host's cgroup namespace");
}

/* The child a placement probe moves: it waits for the parent to close the
 * pipe (or for cgroup.kill). */
static pid_t sleeper(int *wfd)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -errno;
	}
	*wfd = fds[1];
	return pid;
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[4200];
	int fd, err = 0;
	size_t n = strlen(val);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

/* The group was empty before: pid is its only line, or one of a few. */
static bool holds_pid(const char *dir, pid_t pid)
{
	char path[4200], buf[4096] = "\n", want[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(want, sizeof(want), "\n%d\n", (int)pid);
	if (read_text_at(AT_FDCWD, path, 0, buf + 1, sizeof(buf) - 1))
		return false;
	return strstr(buf, want) != NULL;
}

int doctor_cgroup_place(const char *dir, bool use_kill, const char **step)
{
	char num[32];
	int wfd = -1, status, err;
	pid_t pid;

	*step = "fork";
	pid = sleeper(&wfd);
	if (pid < 0)
		return (int)pid;
	snprintf(num, sizeof(num), "%d\n", (int)pid);
	*step = "write cgroup.procs";
	err = write_file(dir, "cgroup.procs", num);
	if (!err && !holds_pid(dir, pid)) {
		*step = "read cgroup.procs";
		err = -ESRCH;
	}
	if (!err && use_kill) {
		*step = "write cgroup.kill";
		err = write_file(dir, "cgroup.kill", "1");
	}
	if (err || !use_kill)
		kill(pid, SIGKILL);
	close(wfd);
	if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0 && !err)
		err = -errno;
	if (!err && use_kill && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		*step = "cgroup.kill did not end the process";
		err = -ESRCH;
	}
	return err;
}

void doctor_pidns_check(struct doctor_report *r)
{
	struct stat st;
	unsigned long long ino = stat("/proc/self/ns/pid", &st) ? 0 : (unsigned long long)st.st_ino;

	if (!trace_in_pid_namespace())
		check_add(r, "pid_namespace", DOCTOR_OK, NULL,
			  "the kernel's initial PID namespace: the tracer's pid filter matches");
	else
		check_add(r, "pid_namespace", DOCTOR_WARN,
			  "share the host's PID namespace: docker run --pid=host; Kubernetes "
			  "hostPID: true (the pod then sees every process of the node)",
			  "a PID namespace of its own (pid:[%llu]): BPF sees the kernel's pids, "
			  "not these, so swarm switches tracing off here", ino);
}
