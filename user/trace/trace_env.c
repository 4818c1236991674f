/* The environment the tracer needs: privileges, kernel BTF, and the
 * process tree as /proc shows it before we attach. Every program is a raw
 * (tp_btf), iterator or USDT program: none needs tracefs. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "caps.h"
#include "proc.h"
#include "trace_int.h"

/* BPF sees the kernel's (initial namespace) pids, /proc and our own
 * getpid() those of our namespace: in a container with its own PID
 * namespace the seeds of the tracked-tgid map match nothing, and every
 * signal would read zero. The initial namespace's inode is fixed
 * (PROC_PID_INIT_INO). */
bool trace_in_pid_namespace(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != 0xEFFFFFFCu;
}

int trace_env_check(char *why, size_t whylen)
{
	if (!caps_bpf_tracing()) {
		snprintf(why, whylen, "kernel tracing off (spawn, flock, fd, latency): "
			 "needs root or CAP_BPF+CAP_PERFMON");
		return -EPERM;
	}
	if (trace_in_pid_namespace()) {
		snprintf(why, whylen, "kernel tracing off (spawn, flock, fd, latency): in a PID "
			 "namespace of its own (a container), where the tracer's filter would "
			 "match no process: run with the host's (docker run --pid=host, "
			 "Kubernetes hostPID: true)");
		return -ENOTSUP;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, whylen, "kernel tracing off (spawn, flock, fd, latency): "
			 "kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return -ENOTSUP;
	}
	return 0;
}

int trace_proc_tree(pid_t root, int (*fn)(pid_t pid, pid_t ppid, void *arg), void *arg)
{
	struct proc_ent *v = NULL;
	struct proc_ent *tree = NULL;
	size_t n = 0, ntree = 0, i, j;
	int err;

	err = proc_list(&v, &n);
	if (err)
		return err;
	tree = calloc(n + 1, sizeof(*tree));
	if (!tree) {
		err = -ENOMEM;
		goto out;
	}
	tree[ntree].pid = root;
	tree[ntree++].ppid = 0;
	/* breadth first: each pass over the list adds the children of the
	 * pids found so far (tree[] only grows, so i walks it once) */
	for (i = 0; i < ntree; i++)
		for (j = 0; j < n; j++)
			if (v[j].ppid == tree[i].pid && v[j].pid != root)
				tree[ntree++] = v[j];
	for (i = 0; i < ntree; i++) {
		err = fn(tree[i].pid, tree[i].ppid, arg);
		if (err)
			goto out;
	}
out:
	free(tree);
	free(v);
	return err;
}
