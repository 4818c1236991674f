/* swarm soak: the kernel's view of a leaking process, from the BPF fd
 * tracker of user/trace/trace.h (root only): its open-fd count against its
 * baseline, and the iter/task_file snapshot of its open files. /proc stays
 * the source of the verdicts; this only adds evidence to a named leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soak_impl.h"
#include "trace.h"

#define SNAP_MAX 4096   /* as swarm-trace fd */

void soak_kernel_open(struct soak *s)
{
	struct tracer_opts o = { .signals = TRACE_FD };
	char why[256] = "";
	int err;

	if (s->o->no_trace) {
		snprintf(s->rep->kernel_off, sizeof(s->rep->kernel_off),
			 "disabled by --no-trace");
		return;
	}
	err = tracer_open(&s->kt, getpid(), &o, why, sizeof(why));
	if (err < 0 || !(tracer_signals(s->kt) & TRACE_FD)) {
		snprintf(s->rep->kernel_off, sizeof(s->rep->kernel_off), "%s",
			 why[0] ? why : strerror(-err));
		if (s->kt)
			tracer_close(s->kt);
		s->kt = NULL;
	}
}

static int cmp_fd_desc(const void *a, const void *b)
{
	const struct fd_iter_rec *x = a, *y = b;

	return (x->fd < y->fd) - (x->fd > y->fd);
}

/* The most common (dev, ino) among the newest `newest` fds. */
static void top_name(struct fd_iter_rec *r, size_t n, size_t newest,
		     char *out, size_t len)
{
	size_t i, j, c, best = 0, bestc = 0;

	qsort(r, n, sizeof(*r), cmp_fd_desc);
	if (newest > n)
		newest = n;
	for (i = 0; i < newest; i++) {
		for (c = 0, j = 0; j < newest; j++)
			c += r[i].ino == r[j].ino && r[i].dev == r[j].dev;
		if (c > bestc) {
			bestc = c;
			best = i;
		}
	}
	if (bestc)
		snprintf(out, len, "%.*s", FD_NAME_LEN, r[best].name);
}

void soak_kernel_leak(struct soak *s, struct tracked *e)
{
	struct fd_iter_rec *recs;
	struct fd_proc fp;
	size_t n = 0;

	if (!s->kt)
		return;
	tracer_fd_refresh(s->kt); /* the count now, not a second ago */
	if (tracer_fd_get(s->kt, e->pid, &fp))
		return;
	e->has_kernel = 1;
	e->k_base = fp.base;
	e->k_now = fp.now;
	recs = malloc(SNAP_MAX * sizeof(*recs));
	if (recs && !tracer_fd_snapshot(s->kt, e->pid, recs, SNAP_MAX, &n) && n)
		top_name(recs, n, (size_t)(e->last_val - e->first_val),
			 e->k_file, sizeof(e->k_file));
	free(recs);
}
