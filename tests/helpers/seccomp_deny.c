/* seccomp_deny: run a command under a seccomp filter that refuses some
 * system calls, the way container runtimes' default profiles do (Docker
 * answers clone3 with ENOSYS, and bpf/perf_event_open with EPERM without
 * CAP_SYS_ADMIN), so tests can reproduce a container's view natively.
 *
 *   seccomp_deny SYSCALL:ERRNO|kill [...] -- CMD [ARGS...]
 *
 * SYSCALL is one of clone3, bpf, perf_event_open; ERRNO is ENOSYS or
 * EPERM; kill makes the call kill the process (SIGSYS). Exit 2 on bad
 * arguments, 3 when the filter cannot be installed, 127 when exec fails. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

#define MAX_RULES 8

static const struct { const char *name; int nr; } calls[] = {
	{ "clone3", __NR_clone3 },
	{ "bpf", __NR_bpf },
	{ "perf_event_open", __NR_perf_event_open },
};

static int parse_rule(const char *arg, int *nr, unsigned *ret)
{
	const char *colon = strchr(arg, ':');
	size_t i, n;

	if (!colon)
		return -1;
	n = (size_t)(colon - arg);
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strlen(calls[i].name) == n && !strncmp(arg, calls[i].name, n))
			break;
	if (i == sizeof(calls) / sizeof(calls[0]))
		return -1;
	*nr = calls[i].nr;
	if (!strcmp(colon + 1, "ENOSYS"))
		*ret = SECCOMP_RET_ERRNO | ENOSYS;
	else if (!strcmp(colon + 1, "EPERM"))
		*ret = SECCOMP_RET_ERRNO | EPERM;
	else if (!strcmp(colon + 1, "kill"))
		*ret = SECCOMP_RET_KILL_PROCESS;
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sock_filter f[4 + 2 * MAX_RULES];
	struct sock_fprog prog;
	unsigned n = 0, ret;
	int i, nr, rules = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (rules == MAX_RULES || parse_rule(argv[i], &nr, &ret)) {
			fprintf(stderr, "seccomp_deny: bad rule '%s' (SYSCALL:ENOSYS|EPERM|kill)\n",
				argv[i]);
			return 2;
		}
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret);
		rules++;
	}
	if (i >= argc - 1 || rules == 0) {
		fprintf(stderr, "usage: seccomp_deny SYSCALL:ERRNO|kill [...] -- CMD [ARGS...]\n");
		return 2;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "seccomp_deny: installing the filter: %s\n", strerror(errno));
		return 3;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "seccomp_deny: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
