/* The environment the tracer needs: privileges, kernel BTF, the hooks this
 * kernel has (tracefs is mounted only if a perf tracepoint is used), and
 * the process tree as /proc shows it before we attach. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "trace_int.h"

#define TRACEFS "/sys/kernel/tracing"
#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

static uint64_t effective_caps(void)
{
	char line[256];
	uint64_t caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7)) {
			caps = strtoull(line + 7, NULL, 16);
			break;
		}
	fclose(f);
	return caps;
}

int trace_env_check(char *why, size_t whylen)
{
	uint64_t caps = effective_caps();
	bool admin = caps & (1ULL << CAP_SYS_ADMIN_BIT);
	bool bpf_perf = (caps & (1ULL << CAP_BPF_BIT)) && (caps & (1ULL << CAP_PERFMON_BIT));

	if (!admin && !bpf_perf) {
		snprintf(why, whylen, "kernel tracing off (spawn, flock, fd, latency): "
			 "needs root or CAP_BPF+CAP_PERFMON");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, whylen, "kernel tracing off (spawn, flock, fd, latency): "
			 "kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return -ENOTSUP;
	}
	return 0;
}

int trace_tracefs_mount(void)
{
	if (!access(TRACEFS "/events", F_OK) || !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return access(TRACEFS "/events", F_OK) ? -errno : 0;
}

bool trace_tp_exists(const char *category, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), TRACEFS "/events/%s/%s", category, name);
	if (!access(p, F_OK))
		return true;
	snprintf(p, sizeof(p), "/sys/kernel/debug/tracing/events/%s/%s", category, name);
	return !access(p, F_OK);
}

bool trace_btf_tp_exists(const struct btf *vmlinux, const char *name)
{
	char t[128];

	snprintf(t, sizeof(t), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, t, BTF_KIND_TYPEDEF) >= 0;
}

int trace_autoload_existing(struct bpf_object *obj)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *prog;
	int off = 0;

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);
		char cat[64], name[96];
		bool ok = true;

		if (!strncmp(sec, "tp_btf/", 7)) {
			ok = vmlinux && trace_btf_tp_exists(vmlinux, sec + 7);
		} else if (!strncmp(sec, "tp/", 3)) {
			/* perf tracepoints need tracefs: mount it if we can */
			trace_tracefs_mount();
			ok = sscanf(sec + 3, "%63[^/]/%95s", cat, name) == 2 &&
			     trace_tp_exists(cat, name);
		}
		if (!ok) {
			bpf_program__set_autoload(prog, false);
			off++;
		}
	}
	btf__free(vmlinux);
	return off;
}

struct proc_ent {
	pid_t pid, ppid;
};

static int read_ppid(pid_t pid, pid_t *ppid)
{
	char p[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may contain spaces and ')': the state follows the LAST ')' */
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %*c %d", ppid) != 1)
		return -EINVAL;
	return 0;
}

static int list_procs(struct proc_ent **out, size_t *n)
{
	struct proc_ent *v = NULL, *nv;
	size_t cap = 0, len = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid, ppid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (read_ppid(pid, &ppid))
			continue; /* gone meanwhile */
		if (len == cap) {
			cap = cap ? cap * 2 : 512;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[len].pid = pid;
		v[len++].ppid = ppid;
	}
	closedir(d);
	*out = v;
	*n = len;
	return 0;
}

int trace_proc_tree(pid_t root, int (*fn)(pid_t pid, void *arg), void *arg)
{
	struct proc_ent *v = NULL;
	pid_t *tree = NULL;
	size_t n = 0, ntree = 0, i, j;
	int err;

	err = list_procs(&v, &n);
	if (err)
		return err;
	tree = calloc(n + 1, sizeof(*tree));
	if (!tree) {
		err = -ENOMEM;
		goto out;
	}
	tree[ntree++] = root;
	/* breadth first: each pass over the list adds the children of the
	 * pids found so far (tree[] only grows, so i walks it once) */
	for (i = 0; i < ntree; i++)
		for (j = 0; j < n; j++)
			if (v[j].ppid == tree[i] && v[j].pid != root)
				tree[ntree++] = v[j].pid;
	for (i = 0; i < ntree; i++) {
		err = fn(tree[i], arg);
		if (err)
			goto out;
	}
out:
	free(tree);
	free(v);
	return err;
}
