/* fd leaks: the per-process fd counts of bpf/spawn.bpf.c and fdleak.bpf.c
 * (the kernel's own fd table, counted at fork, exec, exit and by a
 * periodic task iterator), the records of suspects that exited, and the
 * iter/task_file snapshot that names what a live suspect holds. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "json.h"
#include "trace_int.h"
#include "swarm.skel.h"
#include "util.h"

#define FD_SNAP_MAX 65536
#define FD_OLDEST 5

static const char *const kind_names[FD_KINDS] = {
	"file", "dir", "pipe", "socket", "anon", "dev", "other",
};

static const char *kind_name(unsigned k)
{
	return k < FD_KINDS ? kind_names[k] : "other";
}

/* Run the task iterator once: every tracked process's fd_now and peak,
 * waiting up to wait_ms for the iterator to arrive (trace_iters_take). */
int trace_fd_refresh(struct tracer *t, int wait_ms)
{
	char buf[64];
	int fd, err;

	if (!t || !t->bss || !(t->on & TRACE_FD))
		return -ENOENT;
	if (t->refresh < 0 && (err = trace_iters_take(t, wait_ms)))
		return err;
	if (t->refresh < 0) {
		t->refresh = bpf_link_create(t->fd.fd_refresh, 0, BPF_TRACE_ITER, NULL);
		if (t->refresh < 0)
			return -errno;
		close(t->fd.fd_refresh); /* the link keeps the program */
		t->fd.fd_refresh = -1;
	}
	fd = bpf_iter_create(t->refresh);
	if (fd < 0)
		return -errno;
	/* the program writes nothing: one read runs the whole walk */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	t->refreshed_ns = now_ns();
	return 0;
}

int tracer_fd_refresh(struct tracer *t)
{
	return trace_fd_refresh(t, TRACE_ITERS_WAIT_MS);
}

int tracer_fd_tree(struct tracer *t, uint64_t *fds, uint64_t *procs)
{
	if (!t || !t->bss || !(t->on & TRACE_FD) || !t->refreshed_ns)
		return -ENOENT;
	*fds = t->bss->fd_stats.tree_fds;
	*procs = t->bss->fd_stats.tree_procs;
	return 0;
}

static void from_proc(const struct spawn_proc *s, struct fd_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->base = s->fd_base;
	p->now = s->fd_now;
	p->peak = s->fd_peak;
	p->first_ns = s->fd_ns;
	p->last_ns = s->seen_ns;
	p->agent = s->agent;
	p->execs = s->execs;
	p->flags = s->flags;
	p->ppid = s->ppid;
	memcpy(p->comm, s->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
}

int tracer_fd_get(struct tracer *t, pid_t pid, struct fd_proc *out)
{
	struct spawn_proc s;
	struct fd_leak *l;
	__u32 k = (__u32)pid;
	int err = 0;

	if (!t || !t->bss || !(t->on & TRACE_FD))
		return -ENOENT;
	if (!bpf_map_lookup_elem(t->fd.procs, &k, &s)) {
		from_proc(&s, out);
		return 0;
	}
	l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = tracer_fd_leak(t, pid, l);
	if (!err)
		*out = l->p;
	free(l);
	return err;
}

/* Most held first, as the live report: the BPF side keeps them in the
 * order it found them. */
static void sort_holds(struct fd_hold *h, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && h[j].count > h[j - 1].count; j--) {
			struct fd_hold x = h[j];

			h[j] = h[j - 1];
			h[j - 1] = x;
		}
}

int tracer_fd_leak(struct tracer *t, pid_t pid, struct fd_leak *out)
{
	__u32 k = (__u32)pid;

	if (!t || !t->bss || !(t->on & TRACE_FD))
		return -ENOENT;
	if (bpf_map_lookup_elem(t->fd.leaks, &k, out))
		return -errno;
	out->p.comm[sizeof(out->p.comm) - 1] = '\0';
	if (out->nholds > FD_HOLDS)
		out->nholds = FD_HOLDS;
	sort_holds(out->holds, out->nholds);
	return 0;
}

int tracer_fd_snapshot(struct tracer *t, pid_t pid, struct fd_iter_rec *recs,
		       size_t max, size_t *n)
{
	DECLARE_LIBBPF_OPTS(bpf_link_create_opts, opts);
	union bpf_iter_link_info linfo;
	size_t got = 0;
	int fd, link, err = 0;
	ssize_t r;

	*n = 0;
	if (!t || !t->bss || !(t->on & TRACE_FD))
		return -ENOENT;
	if ((err = trace_iters_take(t, TRACE_ITERS_WAIT_MS)))
		return err;
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.pid = (__u32)pid; /* the kernel walks only this process */
	opts.iter_info = &linfo;
	opts.iter_info_len = sizeof(linfo);
	link = bpf_link_create(t->fd.fd_snapshot, 0, BPF_TRACE_ITER, &opts);
	if (link < 0)
		return -errno;
	fd = bpf_iter_create(link);
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
	close(link);
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

/* Live processes of the tree, then suspects that exited (unless the pid
 * is live again). Sorted by growth. The tracer's own process is left out:
 * its fds are the tracer's maps and programs. */
static int read_procs(struct tracer *t, struct proc_row **rows, size_t *n)
{
	int pfd = t->fd.procs, lfd = t->fd.leaks;
	size_t cap = TRACE_MAX_TGIDS + FD_MAX_LEAKS, len = 0, live;
	struct proc_row *v = calloc(cap, sizeof(*v));
	struct fd_leak *l = malloc(sizeof(*l));
	__u32 self = (__u32)getpid(), k = 0, next;
	struct spawn_proc s;
	bool first = true;

	if (!v || !l) {
		free(v);
		free(l);
		return -ENOMEM;
	}
	while (len < TRACE_MAX_TGIDS && !bpf_map_get_next_key(pfd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (k == self || bpf_map_lookup_elem(pfd, &k, &s))
			continue;
		v[len].pid = k;
		from_proc(&s, &v[len++].p);
	}
	live = len;
	first = true;
	while (len < cap && !bpf_map_get_next_key(lfd, first ? NULL : &k, &next)) {
		size_t i;

		first = false;
		k = next;
		if (k == self || bpf_map_lookup_elem(lfd, &k, l))
			continue;
		for (i = 0; i < live && v[i].pid != k; i++)
			;
		if (i < live)
			continue; /* pid reused by a live process */
		v[len].pid = k;
		v[len].p = l->p;
		v[len++].p.comm[15] = '\0';
	}
	free(l);
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
	if (!t || !t->bss || !(t->on & TRACE_FD))
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

/* fds per second since the baseline was taken */
static double growth_rate(const struct fd_proc *p)
{
	uint64_t end = p->exit_ns ? p->exit_ns : p->last_ns;
	double secs = end > p->first_ns ? (end - p->first_ns) / 1e9 : 0;

	return secs > 0.001 ? (p->now - p->base) / secs : 0;
}

static const char *baseline(const struct fd_proc *p)
{
	if (p->flags & FD_PREEXISTING)
		return "unknown"; /* there before we attached: stdio assumed */
	return p->execs ? "exec" : "fork";
}

/* What a suspect holds, grouped by file: from the live fd table, or from
 * the record kept when it exited. */
struct held {
	__u64 ino;
	__u32 dev, kind, count, lowest_fd;
	char path[256];
};

struct holdings {
	unsigned kinds[FD_KINDS];
	size_t total;           /* fds seen */
	size_t n;               /* files in held[] */
	struct held held[FD_HOLDS];
	unsigned oldest[FD_OLDEST];
	struct held oldest_file[FD_OLDEST];
	size_t noldest;
};

/* Full path from /proc while the process still has the fd ("pipe:[ino]",
 * "anon_inode:[eventfd]" for the others), else the dentry name. */
static void live_path(pid_t pid, unsigned fd, const char *name, char *buf, size_t len)
{
	char link[64];
	ssize_t r;

	snprintf(link, sizeof(link), "/proc/%d/fd/%u", (int)pid, fd);
	r = readlink(link, buf, len - 1);
	if (r > 0) {
		buf[r] = '\0';
		return;
	}
	snprintf(buf, len, "%s", name);
}

static int live_holdings(struct tracer *t, pid_t pid, struct holdings *h)
{
	struct fd_iter_rec *recs = calloc(FD_SNAP_MAX, sizeof(*recs));
	struct held *all = NULL;
	char name[sizeof(all->path)];
	size_t n = 0, nf = 0, i, j;
	int err;

	memset(h, 0, sizeof(*h));
	if (!recs)
		return -ENOMEM;
	err = tracer_fd_snapshot(t, pid, recs, FD_SNAP_MAX, &n);
	if (err)
		goto out;
	all = calloc(n + 1, sizeof(*all));
	if (!all) {
		err = -ENOMEM;
		goto out;
	}
	h->total = n;
	for (i = 0; i < n; i++) {
		h->kinds[recs[i].kind < FD_KINDS ? recs[i].kind : FD_KIND_OTHER]++;
		if (recs[i].fd < FD_STDIO)
			continue; /* stdio is not what leaked */
		if (h->noldest < FD_OLDEST) { /* the walk is in fd order */
			struct held *o = &h->oldest_file[h->noldest];

			h->oldest[h->noldest++] = recs[i].fd;
			o->ino = recs[i].ino;
			live_path(pid, recs[i].fd, recs[i].name, o->path, sizeof(o->path));
		}
		for (j = 0; j < nf; j++)
			if (all[j].ino == recs[i].ino && all[j].dev == recs[i].dev)
				break;
		if (j == nf) {
			all[nf].ino = recs[i].ino;
			all[nf].dev = recs[i].dev;
			all[nf].kind = recs[i].kind;
			all[nf].lowest_fd = recs[i].fd;
			snprintf(all[nf].path, sizeof(all[nf].path), "%s", recs[i].name);
			nf++;
		}
		all[j].count++;
	}
	/* the FD_HOLDS most held, by selection: nf is small in practice */
	for (i = 0; i < nf && i < FD_HOLDS; i++) {
		size_t best = i;

		for (j = i + 1; j < nf; j++)
			if (all[j].count > all[best].count)
				best = j;
		h->held[i] = all[best];
		all[best] = all[i];
		/* the dentry name is the fallback for the /proc path */
		memcpy(name, h->held[i].path, sizeof(name));
		live_path(pid, h->held[i].lowest_fd, name, h->held[i].path,
			  sizeof(h->held[i].path));
	}
	h->n = i;
out:
	free(all);
	free(recs);
	return err;
}

static void exited_path(const struct fd_hold *x, char *buf, size_t len)
{
	char leaf[TRACE_PATH_COMP + 1];

	switch (x->kind) {
	case FD_KIND_PIPE:
		snprintf(buf, len, "pipe:[%llu]", (unsigned long long)x->ino);
		return;
	case FD_KIND_SOCKET:
		snprintf(buf, len, "socket:[%llu]", (unsigned long long)x->ino);
		return;
	case FD_KIND_ANON:
		snprintf(leaf, sizeof(leaf), "%.*s", TRACE_PATH_COMP,
			 x->path.depth ? x->path.comp[0] : "");
		snprintf(buf, len, "anon_inode:%s", leaf);
		return;
	default:
		trace_path_str(&x->path, buf, len);
	}
}

static int exited_holdings(struct tracer *t, pid_t pid, struct holdings *h)
{
	struct fd_leak *l = malloc(sizeof(*l));
	unsigned i;
	int err;

	memset(h, 0, sizeof(*h));
	if (!l)
		return -ENOMEM;
	err = tracer_fd_leak(t, pid, l);
	if (!err) {
		memcpy(h->kinds, l->kinds, sizeof(h->kinds));
		h->total = l->scanned;
		for (i = 0; i < l->nholds; i++) {
			h->held[i].ino = l->holds[i].ino;
			h->held[i].dev = l->holds[i].dev;
			h->held[i].kind = l->holds[i].kind;
			h->held[i].count = l->holds[i].count;
			h->held[i].lowest_fd = l->holds[i].lowest_fd;
			exited_path(&l->holds[i], h->held[i].path, sizeof(h->held[i].path));
		}
		h->n = l->nholds;
	}
	free(l);
	return err;
}

static int holdings(struct tracer *t, const struct proc_row *r, struct holdings *h)
{
	return r->p.exit_ns ? exited_holdings(t, (pid_t)r->pid, h)
			    : live_holdings(t, (pid_t)r->pid, h);
}

static const char *name_of(struct tracer *t, pid_t pid)
{
	return t->opts.agent_name ? t->opts.agent_name(pid, t->opts.agent_arg) : NULL;
}

static void json_named(struct tracer *t, struct jsonw *w, const char *key, pid_t pid)
{
	const char *name = pid > 0 ? name_of(t, pid) : NULL;

	if (!name)
		return;
	jsonw_name(w, key);
	jsonw_string_bytes(w, name, NAME_MAX_LEN);
}

/* The members every process row has (the caller closes the object). */
static void json_proc(struct tracer *t, struct jsonw *w, const struct proc_row *r)
{
	jsonw_start_object(w);
	jsonw_uint_field(w, "pid", r->pid);
	jsonw_uint_field(w, "ppid", r->p.ppid);
	jsonw_name(w, "comm");
	jsonw_string_bytes(w, r->p.comm, sizeof(r->p.comm));
	json_named(t, w, "name", (pid_t)r->pid);
	if (r->p.agent)
		jsonw_uint_field(w, "agent_pid", r->p.agent);
	json_named(t, w, "agent", (pid_t)r->p.agent);
	jsonw_bool_field(w, "exited", r->p.exit_ns != 0);
	jsonw_uint_field(w, "execs", r->p.execs);
	jsonw_string_field(w, "baseline", baseline(&r->p));
	jsonw_int_field(w, "fds_base", r->p.base);
	jsonw_int_field(w, "fds_now", r->p.now);
	jsonw_int_field(w, "fds_peak", r->p.peak);
	jsonw_int_field(w, "growth", r->p.now - r->p.base);
	jsonw_float_field(w, "growth_per_s", "%.2f", growth_rate(&r->p));
}

static void json_holdings(struct jsonw *w, const struct holdings *h)
{
	size_t i;

	jsonw_uint_field(w, "fds_seen", h->total);
	jsonw_name(w, "kinds");
	jsonw_start_object(w);
	for (i = 0; i < FD_KINDS; i++)
		jsonw_uint_field(w, kind_names[i], h->kinds[i]);
	jsonw_end_object(w);
	jsonw_name(w, "holds");
	jsonw_start_array(w);
	for (i = 0; i < h->n; i++) {
		jsonw_start_object(w);
		jsonw_name(w, "path");
		jsonw_string_bytes(w, h->held[i].path, sizeof(h->held[i].path));
		jsonw_string_field(w, "kind", kind_name(h->held[i].kind));
		jsonw_uint_field(w, "inode", h->held[i].ino);
		trace_json_dev(w, h->held[i].dev);
		jsonw_uint_field(w, "fds", h->held[i].count);
		jsonw_uint_field(w, "lowest_fd", h->held[i].lowest_fd);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_name(w, "oldest");
	jsonw_start_array(w);
	for (i = 0; i < h->noldest; i++) {
		jsonw_start_object(w);
		jsonw_uint_field(w, "fd", h->oldest[i]);
		jsonw_uint_field(w, "inode", h->oldest_file[i].ino);
		jsonw_name(w, "path");
		jsonw_string_bytes(w, h->oldest_file[i].path, sizeof(h->oldest_file[i].path));
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_suspect(struct tracer *t, struct jsonw *w, const struct proc_row *r)
{
	struct holdings *h = calloc(1, sizeof(*h));

	json_proc(t, w, r);
	if (!h || holdings(t, r, h)) {
		jsonw_name(w, "holds");
		jsonw_start_array(w);
		jsonw_end_array(w);
	} else {
		json_holdings(w, h);
	}
	jsonw_end_object(w);
	free(h);
}

static bool suspect(const struct proc_row *r)
{
	return r->p.now - r->p.base >= FD_SUSPECT_GROWTH;
}

int trace_fd_json(struct tracer *t, struct jsonw *w)
{
	struct proc_row *rows;
	size_t n, i, ns = 0;
	int err = read_procs(t, &rows, &n);

	if (err)
		return err;
	jsonw_start_object(w);
	jsonw_int_field(w, "suspect_growth", FD_SUSPECT_GROWTH);
	jsonw_name(w, "processes");
	jsonw_start_array(w);
	for (i = 0; i < n && i < t->top; i++) {
		json_proc(t, w, &rows[i]);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "tracked_processes", n);
	jsonw_name(w, "suspects");
	jsonw_start_array(w);
	for (i = 0; i < n && ns < t->top && suspect(&rows[i]); i++, ns++) /* sorted */
		json_suspect(t, w, &rows[i]);
	jsonw_end_array(w);
	jsonw_uint_field(w, "leaks_kept", t->bss->fd_stats.leaks_kept);
	jsonw_uint_field(w, "map_full", t->bss->fd_stats.map_full);
	jsonw_end_object(w);
	free(rows);
	return 0;
}

static void text_suspect(struct tracer *t, FILE *f, const struct proc_row *r)
{
	const char *agent = r->p.agent ? name_of(t, (pid_t)r->p.agent) : NULL;
	struct holdings *h = calloc(1, sizeof(*h));
	size_t i;
	int sep = 0;

	fprintf(f, "\nsuspect: pid %u (%s%s%s) %s %lld fds over its %s baseline of %lld",
		r->pid, r->p.comm, agent ? ", agent " : "", agent ? agent : "",
		r->p.exit_ns ? "exited holding" : "holds", (long long)(r->p.now - r->p.base),
		baseline(&r->p), (long long)r->p.base);
	if (!h || holdings(t, r, h)) {
		fputc('\n', f);
		free(h);
		return;
	}
	fputs("\n  by kind:", f);
	for (i = 0; i < FD_KINDS; i++)
		if (h->kinds[i])
			fprintf(f, "%s %u %s", sep++ ? "," : "", h->kinds[i], kind_names[i]);
	fputc('\n', f);
	for (i = 0; i < h->n; i++)
		fprintf(f, "  %5u x %-6s %.60s (inode %llu)\n", h->held[i].count,
			kind_name(h->held[i].kind), h->held[i].path,
			(unsigned long long)h->held[i].ino);
	free(h);
}

int trace_fd_text(struct tracer *t, FILE *f)
{
	struct proc_row *rows;
	size_t n, i;
	int err = read_procs(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "fd: %zu processes tracked (suspect: %d or more fds over baseline)\n", n,
		FD_SUSPECT_GROWTH);
	if (n)
		fprintf(f, "\n%-8s %-16s %6s %8s %8s %8s %9s\n", "PID", "COMM", "BASE", "FDS",
			"PEAK", "GROWTH", "PER_SEC");
	for (i = 0; i < n && i < t->top; i++)
		fprintf(f, "%-8u %-16s %6lld %8lld %8lld %8lld %9.1f%s\n", rows[i].pid,
			rows[i].p.comm, (long long)rows[i].p.base, (long long)rows[i].p.now,
			(long long)rows[i].p.peak, (long long)(rows[i].p.now - rows[i].p.base),
			growth_rate(&rows[i].p), rows[i].p.exit_ns ? " (exited)" : "");
	for (i = 0; i < n && i < t->top && suspect(&rows[i]); i++)
		text_suspect(t, f, &rows[i]);
	free(rows);
	return 0;
}
