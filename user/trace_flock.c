/* flock contention: loads bpf/flock.bpf.c, reads the per-lock stats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "trace_int.h"
#include "flock.skel.h"

int trace_flock_open(struct tracer *t)
{
	int err;

	t->flock = flock_bpf__open();
	if (!t->flock)
		return -errno;
	err = bpf_map__reuse_fd(t->flock->maps.tracked, trace_tracked_fd(t));
	if (err)
		return err;
	/* without the filelock tracepoint we still time every call, but
	 * cannot tell a contended acquisition from a slow one */
	if (trace_autoload_existing(t->flock->obj))
		return -ENOTSUP; /* no filelock tracepoint: nothing to time */
	t->flock_contention = true;
	err = flock_bpf__load(t->flock);
	if (err)
		return err;
	return flock_bpf__attach(t->flock);
}

void trace_flock_close(struct tracer *t)
{
	flock_bpf__destroy(t->flock);
	t->flock = NULL;
}

void trace_flock_clear(struct tracer *t)
{
	struct flock_totals *s = &t->flock->bss->totals;

	memset(s->wait_us, 0, sizeof(s->wait_us));
	s->calls = 0;
	trace_map_clear(bpf_map__fd(t->flock->maps.locks), sizeof(struct flock_key));
}

int tracer_flock_get(struct tracer *t, uint32_t kdev, uint64_t ino, struct flock_stat *out)
{
	struct flock_key k = { .ino = ino, .dev = kdev };

	if (!t || !t->flock)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(t->flock->maps.locks), &k, out))
		return -errno;
	return 0;
}

int tracer_flock_totals(struct tracer *t, struct flock_totals *out)
{
	if (!t || !t->flock)
		return -ENOENT;
	memcpy(out, &t->flock->bss->totals, sizeof(*out));
	return 0;
}

struct lock_row {
	struct flock_key key;
	struct flock_stat st;
};

static int by_wait_desc(const void *a, const void *b)
{
	const struct lock_row *x = a, *y = b;

	if (x->st.wait_ns_total != y->st.wait_ns_total)
		return x->st.wait_ns_total < y->st.wait_ns_total ? 1 : -1;
	return 0;
}

/* All locks, hottest (most total wait) first. Caller frees *rows. */
static int read_locks(struct tracer *t, struct lock_row **rows, size_t *n)
{
	int fd = bpf_map__fd(t->flock->maps.locks);
	struct flock_key k, next;
	struct lock_row *v = calloc(FLOCK_MAX_LOCKS, sizeof(*v));
	bool first = true;
	size_t len = 0;

	if (!v)
		return -ENOMEM;
	while (len < FLOCK_MAX_LOCKS &&
	       !bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v[len].st))
			continue; /* deleted meanwhile */
		v[len].key = k;
		v[len].st.name[TRACE_NAME_LEN - 1] = '\0';
		len++;
	}
	qsort(v, len, sizeof(*v), by_wait_desc);
	*rows = v;
	*n = len;
	return 0;
}

static double max_wait_us(const struct lock_row *rows, size_t n)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].st.wait_ns_max > m)
			m = rows[i].st.wait_ns_max;
	return m / 1e3;
}

int trace_flock_json(struct tracer *t, FILE *f)
{
	struct lock_row *rows;
	size_t n, i;
	int err = read_locks(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "{\"contention_known\":%s,\"calls\":%llu,\"wait_us\":",
		t->flock_contention ? "true" : "false",
		(unsigned long long)t->flock->bss->totals.calls);
	trace_json_pcts(f, t->flock->bss->totals.wait_us, n ? max_wait_us(rows, n) : -1);
	fprintf(f, ",\"locks\":[");
	for (i = 0; i < n && i < t->top; i++) {
		struct flock_stat *s = &rows[i].st;

		fprintf(f, "%s{\"path\":", i ? "," : "");
		trace_json_str(f, s->name, sizeof(s->name));
		fprintf(f, ",\"inode\":%llu,\"dev\":\"%u:%u\",\"acquisitions\":%llu,"
			"\"contended\":%llu,\"uncontended\":%llu,\"ewouldblock\":%llu,"
			"\"errors\":%llu,\"wait_us\":",
			(unsigned long long)rows[i].key.ino, rows[i].key.dev >> 20,
			rows[i].key.dev & 0xfffff, (unsigned long long)s->acquisitions,
			(unsigned long long)s->contended,
			(unsigned long long)(s->acquisitions - s->contended),
			(unsigned long long)s->ewouldblock, (unsigned long long)s->errors);
		trace_json_pcts(f, s->wait_us, s->wait_ns_max / 1e3);
		fputc('}', f);
	}
	fprintf(f, "],\"map_full\":%llu}", (unsigned long long)t->flock->bss->totals.map_full);
	free(rows);
	return 0;
}

int trace_flock_text(struct tracer *t, FILE *f)
{
	struct lock_row *rows;
	size_t n, i;
	int err = read_locks(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "flock: %llu calls on %zu lock files%s\n",
		(unsigned long long)t->flock->bss->totals.calls, n,
		t->flock_contention ? "" : " (contention unknown: no filelock events)");
	if (n) {
		fprintf(f, "\nhottest locks\n%-20s %10s %8s %8s %9s %9s %9s\n", "FILE", "INODE",
			"ACQ", "CONTEND", "P50us", "P99us", "MAXus");
		for (i = 0; i < n && i < t->top; i++) {
			struct flock_stat *s = &rows[i].st;

			fprintf(f, "%-20.20s %10llu %8llu %8llu %9.0f %9.0f %9.0f\n",
				s->name[0] ? s->name : "?",
				(unsigned long long)rows[i].key.ino,
				(unsigned long long)s->acquisitions,
				(unsigned long long)s->contended,
				trace_pct(s->wait_us, 0.5, s->wait_ns_max / 1e3),
				trace_pct(s->wait_us, 0.99, s->wait_ns_max / 1e3),
				s->wait_ns_max / 1e3);
		}
		fprintf(f, "\nflock wait (all locks)\n");
		hist_print(f, t->flock->bss->totals.wait_us, HIST_SLOTS, "usecs");
		if (rows[0].st.acquisitions) {
			fprintf(f, "\nflock wait: %s\n", rows[0].st.name);
			hist_print(f, rows[0].st.wait_us, HIST_SLOTS, "usecs");
		}
	}
	free(rows);
	return 0;
}
