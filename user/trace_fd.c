/* fd leaks: loads bpf/fdleak.bpf.c, reads per-process counts, and runs the
 * iter/task_file snapshot to name what a growing process holds open. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace_int.h"
#include "fdleak.skel.h"
#include "util.h"

#define FD_SNAP_MAX 4096
#define FD_TOP_FILES 3

int trace_fd_open(struct tracer *t)
{
	int err;

	t->fd = fdleak_bpf__open();
	if (!t->fd)
		return -errno;
	err = bpf_map__reuse_fd(t->fd->maps.tracked, trace_tracked_fd(t));
	if (err)
		return err;
	trace_autoload_existing(t->fd->obj);
	/* the snapshot iterator is attached per pid on demand */
	bpf_program__set_autoattach(t->fd->progs.fd_snapshot, false);
	err = fdleak_bpf__load(t->fd);
	if (err)
		return err;
	return fdleak_bpf__attach(t->fd);
}

void trace_fd_close(struct tracer *t)
{
	fdleak_bpf__destroy(t->fd);
	t->fd = NULL;
}

int tracer_fd_get(struct tracer *t, pid_t pid, struct fd_proc *out)
{
	__u32 k = (__u32)pid;

	if (!t || !t->fd)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(t->fd->maps.fds), &k, out))
		return -errno;
	return 0;
}

int tracer_fd_snapshot(struct tracer *t, pid_t pid, struct fd_iter_rec *recs,
		       size_t max, size_t *n)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpf_link *link;
	size_t got = 0;
	int fd, err = 0;
	ssize_t r;

	*n = 0;
	if (!t || !t->fd)
		return -ENOENT;
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.pid = (__u32)pid; /* the kernel walks only this process */
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(t->fd->progs.fd_snapshot, &opts);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* records are fixed size; read() returns whole seq_file pages */
	for (;;) {
		struct fd_iter_rec rec;

		r = read_full(fd, &rec, sizeof(rec));
		if (r < 0) {
			err = (int)r;
			break;
		}
		if ((size_t)r < sizeof(rec))
			break; /* end of the walk */
		if (got < max) {
			rec.name[FD_NAME_LEN - 1] = '\0';
			recs[got++] = rec;
		}
	}
	*n = got;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

struct proc_row {
	__u32 pid;
	struct fd_proc p;
};

static int by_growth_desc(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;
	__s64 gx = x->p.now - x->p.base, gy = y->p.now - y->p.base;

	if (gx != gy)
		return gx < gy ? 1 : -1;
	return x->p.now < y->p.now ? 1 : x->p.now > y->p.now ? -1 : 0;
}

static int read_procs(struct tracer *t, struct proc_row **rows, size_t *n)
{
	int fd = bpf_map__fd(t->fd->maps.fds);
	struct proc_row *v = calloc(FD_MAX_PROCS, sizeof(*v));
	__u32 k = 0, next;
	bool first = true;
	size_t len = 0;

	if (!v)
		return -ENOMEM;
	while (len < FD_MAX_PROCS && !bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v[len].p))
			continue;
		v[len].pid = k;
		v[len].p.comm[15] = '\0';
		len++;
	}
	qsort(v, len, sizeof(*v), by_growth_desc);
	*rows = v;
	*n = len;
	return 0;
}

int tracer_fd_top(struct tracer *t, struct fd_top *out, size_t max, size_t *n)
{
	struct proc_row *rows;
	size_t len, i;
	int err;

	*n = 0;
	if (!t || !t->fd)
		return -ENOENT;
	err = read_procs(t, &rows, &len);
	if (err)
		return err;
	for (i = 0; i < len && i < max; i++) {
		out[i].pid = (pid_t)rows[i].pid;
		out[i].p = rows[i].p;
	}
	*n = i;
	free(rows);
	return 0;
}

/* fds per second since the count was (re)based */
static double growth_rate(const struct fd_proc *p)
{
	uint64_t now = p->exit_ns ? p->exit_ns : now_ns();
	double secs = now > p->first_ns ? (now - p->first_ns) / 1e9 : 0;

	return secs > 0.001 ? (p->now - p->base) / secs : 0;
}

struct held_file {
	__u64 ino;
	__u32 dev, count, lowest_fd, mode;
	char name[FD_NAME_LEN];
};

#define FD_OLDEST 5

/* Group pid's open fds by file, most-held first; oldest[] gets the lowest
 * numbered fds above stdio (the kernel hands out the lowest free number, so
 * in a leaking process those were opened first). */
static size_t held_files(struct tracer *t, pid_t pid, struct held_file *out, size_t max,
			 size_t *total, struct fd_iter_rec *oldest, size_t *noldest)
{
	struct fd_iter_rec *recs = calloc(FD_SNAP_MAX, sizeof(*recs));
	struct held_file tmp;
	size_t n = 0, nf = 0, i, j;

	*total = 0;
	*noldest = 0;
	if (!recs || tracer_fd_snapshot(t, pid, recs, FD_SNAP_MAX, &n)) {
		free(recs);
		return 0;
	}
	*total = n;
	*noldest = 0;
	for (i = 0; i < n && *noldest < FD_OLDEST; i++) /* the walk is in fd order */
		if (recs[i].fd > 2)
			oldest[(*noldest)++] = recs[i];
	struct held_file *all = calloc(n + 1, sizeof(*all));

	if (!all) {
		free(recs);
		return 0;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nf; j++)
			if (all[j].ino == recs[i].ino && all[j].dev == recs[i].dev)
				break;
		if (j == nf) {
			all[nf].ino = recs[i].ino;
			all[nf].dev = recs[i].dev;
			all[nf].mode = recs[i].mode;
			all[nf].lowest_fd = recs[i].fd;
			memcpy(all[nf].name, recs[i].name, FD_NAME_LEN);
			nf++;
		}
		all[j].count++;
		if (recs[i].fd < all[j].lowest_fd)
			all[j].lowest_fd = recs[i].fd;
	}
	for (i = 0; i < nf; i++) /* selection sort: nf is small */
		for (j = i + 1; j < nf; j++)
			if (all[j].count > all[i].count) {
				tmp = all[i];
				all[i] = all[j];
				all[j] = tmp;
			}
	for (i = 0; i < nf && i < max; i++)
		out[i] = all[i];
	free(all);
	free(recs);
	return i;
}

/* Full path from /proc when the process still has the fd, else the
 * dentry name the iterator saw. */
static void file_path(pid_t pid, unsigned fd, const char *name, char *buf, size_t len)
{
	char link[64];
	ssize_t r;

	snprintf(link, sizeof(link), "/proc/%d/fd/%u", pid, fd);
	r = readlink(link, buf, len - 1);
	if (r > 0) {
		buf[r] = '\0';
		return;
	}
	snprintf(buf, len, "%s", name);
}

static const char *agent_of(struct tracer *t, pid_t pid)
{
	return t->opts.agent_name ? t->opts.agent_name(pid, t->opts.agent_arg) : NULL;
}

static void json_suspect(struct tracer *t, FILE *f, const struct proc_row *r)
{
	struct fd_iter_rec old[FD_OLDEST];
	struct held_file h[FD_TOP_FILES];
	size_t nh, total, i, nold;
	char path[512];

	const char *agent = agent_of(t, (pid_t)r->pid);

	/* an exited process has no fd table left to walk */
	nh = r->p.exit_ns ? (total = nold = 0)
			  : held_files(t, (pid_t)r->pid, h, FD_TOP_FILES, &total, old, &nold);
	fprintf(f, "{\"pid\":%u,", r->pid);
	if (agent) {
		fprintf(f, "\"agent\":");
		trace_json_str(f, agent, NAME_MAX_LEN);
		fputc(',', f);
	}
	fprintf(f, "\"exited\":%s,\"growth\":%lld,\"fds_snapshot\":%zu,\"holds\":[",
		r->p.exit_ns ? "true" : "false", (long long)(r->p.now - r->p.base), total);
	for (i = 0; i < nh; i++) {
		file_path((pid_t)r->pid, h[i].lowest_fd, h[i].name, path, sizeof(path));
		fprintf(f, "%s{\"path\":", i ? "," : "");
		trace_json_str(f, path, sizeof(path));
		fprintf(f, ",\"inode\":%llu,\"dev\":\"%u:%u\",\"fds\":%u,\"lowest_fd\":%u}",
			(unsigned long long)h[i].ino, h[i].dev >> 20, h[i].dev & 0xfffff,
			h[i].count, h[i].lowest_fd);
	}
	fprintf(f, "],\"oldest\":[");
	for (i = 0; i < nold; i++) {
		file_path((pid_t)r->pid, old[i].fd, old[i].name, path, sizeof(path));
		fprintf(f, "%s{\"fd\":%u,\"inode\":%llu,\"path\":", i ? "," : "", old[i].fd,
			(unsigned long long)old[i].ino);
		trace_json_str(f, path, sizeof(path));
		fputc('}', f);
	}
	fprintf(f, "]}");
}

int trace_fd_json(struct tracer *t, FILE *f)
{
	struct proc_row *rows;
	size_t n, i, ns = 0;
	int err = read_procs(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "{\"processes\":[");
	for (i = 0; i < n && i < t->top; i++) {
		const char *agent = agent_of(t, (pid_t)rows[i].pid);

		fprintf(f, "%s{\"pid\":%u,\"comm\":", i ? "," : "", rows[i].pid);
		trace_json_str(f, rows[i].p.comm, sizeof(rows[i].p.comm));
		if (agent) {
			fprintf(f, ",\"agent\":");
			trace_json_str(f, agent, NAME_MAX_LEN);
		}
		fprintf(f, ",\"exited\":%s", rows[i].p.exit_ns ? "true" : "false");
		fprintf(f, ",\"fds_now\":%lld,\"fds_peak\":%lld,\"growth\":%lld,"
			"\"growth_per_s\":%.2f,\"opens\":%llu,\"closes\":%llu}",
			(long long)rows[i].p.now, (long long)rows[i].p.peak,
			(long long)(rows[i].p.now - rows[i].p.base), growth_rate(&rows[i].p),
			(unsigned long long)rows[i].p.opens, (unsigned long long)rows[i].p.closes);
	}
	fprintf(f, "],\"tracked_processes\":%zu,\"suspects\":[", n);
	for (i = 0; i < n && ns < t->top; i++) {
		if (rows[i].p.now - rows[i].p.base < FD_SUSPECT_GROWTH)
			break; /* sorted by growth */
		if (ns++)
			fputc(',', f);
		json_suspect(t, f, &rows[i]);
	}
	fprintf(f, "],\"map_full\":%llu}", (unsigned long long)t->fd->bss->totals.map_full);
	free(rows);
	return 0;
}

int trace_fd_text(struct tracer *t, FILE *f)
{
	struct fd_iter_rec old[FD_OLDEST];
	struct held_file h[FD_TOP_FILES];
	struct proc_row *rows;
	size_t n, i, j, nh, total, nold;
	char path[512];
	int err = read_procs(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "fd: %zu processes seen opening or closing fds\n", n);
	if (n)
		fprintf(f, "\n%-8s %-16s %8s %8s %8s %9s\n", "PID", "COMM", "FDS", "PEAK",
			"GROWTH", "PER_SEC");
	for (i = 0; i < n && i < t->top; i++)
		fprintf(f, "%-8u %-16s %8lld %8lld %8lld %9.1f\n", rows[i].pid, rows[i].p.comm,
			(long long)rows[i].p.now, (long long)rows[i].p.peak,
			(long long)(rows[i].p.now - rows[i].p.base), growth_rate(&rows[i].p));
	for (i = 0; i < n && i < t->top; i++) {
		if (rows[i].p.now - rows[i].p.base < FD_SUSPECT_GROWTH)
			break;
		const char *agent = agent_of(t, (pid_t)rows[i].pid);

		if (rows[i].p.exit_ns) {
			fprintf(f, "\nsuspect: pid %u (%s%s%s) exited holding %lld more fds "
				"than it started with\n", rows[i].pid, rows[i].p.comm,
				agent ? ", agent " : "", agent ? agent : "",
				(long long)(rows[i].p.now - rows[i].p.base));
			continue;
		}
		nh = held_files(t, (pid_t)rows[i].pid, h, FD_TOP_FILES, &total, old, &nold);
		fprintf(f, "\nsuspect: pid %u (%s%s%s) grew by %lld fds; holds %zu:\n",
			rows[i].pid, rows[i].p.comm, agent ? ", agent " : "", agent ? agent : "",
			(long long)(rows[i].p.now - rows[i].p.base), total);
		for (j = 0; j < nh; j++) {
			file_path((pid_t)rows[i].pid, h[j].lowest_fd, h[j].name, path,
				  sizeof(path));
			fprintf(f, "  %5u x %.60s (inode %llu)\n", h[j].count, path,
				(unsigned long long)h[j].ino);
		}
	}
	free(rows);
	return 0;
}
