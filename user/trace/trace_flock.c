/* lock contention: reads bpf/flock.bpf.c's per-lock stats (flock, POSIX
 * and OFD locks, by file and kind). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "json.h"
#include "trace_int.h"
#include "swarm.skel.h"

void trace_flock_clear(struct tracer *t)
{
	struct flock_totals *s = &t->bss->flock_stats;

	memset(s->wait_us, 0, sizeof(s->wait_us));
	memset(s->calls_kind, 0, sizeof(s->calls_kind));
	s->calls = 0;
	trace_map_clear(t->fd.locks, sizeof(struct flock_key));
}

int tracer_flock_get(struct tracer *t, uint32_t kdev, uint64_t ino, enum lock_kind kind,
		     struct flock_stat *out)
{
	struct flock_key k = { .ino = ino, .dev = kdev, .kind = kind };

	if (!t || !t->bss || !(t->on & TRACE_FLOCK))
		return -ENOENT;
	if (bpf_map_lookup_elem(t->fd.locks, &k, out))
		return -errno;
	return 0;
}

int tracer_flock_totals(struct tracer *t, struct flock_totals *out)
{
	if (!t || !t->bss || !(t->on & TRACE_FLOCK))
		return -ENOENT;
	memcpy(out, &t->bss->flock_stats, sizeof(*out));
	return 0;
}

static const char *const lock_kinds[LOCK_KINDS] = { "flock", "posix", "ofd" };

static const char *lock_kind_name(unsigned k)
{
	return k < LOCK_KINDS ? lock_kinds[k] : "?";
}

struct lock_row {
	struct flock_key key;
	struct flock_stat st;
	char path[256];
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
	int fd = t->fd.locks;
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
		trace_path_str(&v[len].st.path, v[len].path, sizeof(v[len].path));
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

int tracer_flock_top(struct tracer *t, struct flock_top *out, size_t max, size_t *n)
{
	struct lock_row *rows;
	size_t len, i;
	int err;

	*n = 0;
	if (!t || !t->bss || !(t->on & TRACE_FLOCK))
		return -ENOENT;
	if ((err = read_locks(t, &rows, &len)))
		return err;
	for (i = 0; i < len && i < max; i++) {
		out[i].kind = rows[i].key.kind;
		out[i].st = rows[i].st;
		memcpy(out[i].path, rows[i].path, sizeof(out[i].path));
	}
	*n = i;
	free(rows);
	return 0;
}

static void lock_json(struct jsonw *w, const struct lock_row *row)
{
	const struct flock_stat *s = &row->st;

	jsonw_start_object(w);
	jsonw_name(w, "path");
	jsonw_string_bytes(w, row->path, sizeof(row->path));
	jsonw_string_field(w, "kind", lock_kind_name(row->key.kind));
	jsonw_uint_field(w, "wait_ns_total", s->wait_ns_total);
	jsonw_uint_field(w, "inode", row->key.ino);
	trace_json_dev(w, row->key.dev);
	jsonw_uint_field(w, "acquisitions", s->acquisitions);
	jsonw_uint_field(w, "contended", s->contended);
	jsonw_uint_field(w, "uncontended", s->acquisitions - s->contended);
	jsonw_uint_field(w, "ewouldblock", s->ewouldblock);
	jsonw_uint_field(w, "errors", s->errors);
	jsonw_name(w, "wait_us");
	trace_json_pcts(w, s->wait_us, s->wait_ns_max / 1e3);
	jsonw_end_object(w);
}

int trace_flock_json(struct tracer *t, struct jsonw *w)
{
	struct lock_row *rows;
	size_t n, i;
	int err = read_locks(t, &rows, &n);

	if (err)
		return err;
	struct flock_totals *tot = &t->bss->flock_stats;

	jsonw_start_object(w);
	jsonw_name(w, "kinds_traced");
	jsonw_start_array(w);
	jsonw_string(w, "flock");
	if (t->posix_locks) {
		jsonw_string(w, "posix");
		jsonw_string(w, "ofd");
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "calls", tot->calls);
	jsonw_name(w, "calls_by_kind");
	jsonw_start_object(w);
	jsonw_uint_field(w, "flock", tot->calls_kind[LOCK_KIND_FLOCK]);
	jsonw_uint_field(w, "posix", tot->calls_kind[LOCK_KIND_POSIX]);
	jsonw_uint_field(w, "ofd", tot->calls_kind[LOCK_KIND_OFD]);
	jsonw_end_object(w);
	jsonw_name(w, "wait_us");
	trace_json_pcts(w, tot->wait_us, n ? max_wait_us(rows, n) : -1);
	jsonw_name(w, "locks");
	jsonw_start_array(w);
	for (i = 0; i < n && i < t->top; i++)
		lock_json(w, &rows[i]);
	jsonw_end_array(w);
	jsonw_uint_field(w, "map_full", tot->map_full);
	jsonw_end_object(w);
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
	struct flock_totals *tot = &t->bss->flock_stats;

	fprintf(f, "locks: %llu calls (flock %llu, posix %llu, ofd %llu) on %zu lock files%s\n",
		(unsigned long long)tot->calls,
		(unsigned long long)tot->calls_kind[LOCK_KIND_FLOCK],
		(unsigned long long)tot->calls_kind[LOCK_KIND_POSIX],
		(unsigned long long)tot->calls_kind[LOCK_KIND_OFD], n,
		t->posix_locks ? "" : " (POSIX/OFD locks not traced: no posix_lock_inode)");
	if (n) {
		fprintf(f, "\nhottest locks\n%-28s %-5s %10s %8s %8s %9s %9s %9s\n", "FILE",
			"KIND", "INODE", "ACQ", "CONTEND", "P50us", "P99us", "MAXus");
		for (i = 0; i < n && i < t->top; i++) {
			struct flock_stat *s = &rows[i].st;

			size_t pl = strlen(rows[i].path);

			/* the end of a long path says most */
			fprintf(f, "%-28.28s %-5s %10llu %8llu %8llu %9.0f %9.0f %9.0f\n",
				pl ? rows[i].path + (pl > 28 ? pl - 28 : 0) : "?",
				lock_kind_name(rows[i].key.kind),
				(unsigned long long)rows[i].key.ino,
				(unsigned long long)s->acquisitions,
				(unsigned long long)s->contended,
				trace_pct(s->wait_us, 0.5, s->wait_ns_max / 1e3),
				trace_pct(s->wait_us, 0.99, s->wait_ns_max / 1e3),
				s->wait_ns_max / 1e3);
		}
		fprintf(f, "\nlock wait (all locks)\n");
		hist_print(f, tot->wait_us, HIST_SLOTS, "usecs");
		if (rows[0].st.acquisitions) {
			fprintf(f, "\nlock wait: %s (%s)\n", rows[0].path,
				lock_kind_name(rows[0].key.kind));
			hist_print(f, rows[0].st.wait_us, HIST_SLOTS, "usecs");
		}
	}
	free(rows);
	return 0;
}
