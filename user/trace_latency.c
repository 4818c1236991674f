/* write->read latency: loads bpf/latency.bpf.c with the bus device as its
 * filter, reads the per-inode and overall histograms. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "trace_int.h"
#include "latency.skel.h"

int trace_latency_open(struct tracer *t)
{
	int err;

	t->lat = latency_bpf__open();
	if (!t->lat)
		return -errno;
	err = bpf_map__reuse_fd(t->lat->maps.tracked, trace_tracked_fd(t));
	if (err)
		return err;
	t->lat->rodata->bus_dev = t->bus_kdev;
	trace_autoload_existing(t->lat->obj);
	err = latency_bpf__load(t->lat);
	if (err)
		return err;
	return latency_bpf__attach(t->lat);
}

void trace_latency_close(struct tracer *t)
{
	latency_bpf__destroy(t->lat);
	t->lat = NULL;
}

void trace_latency_clear(struct tracer *t)
{
	struct lat_totals *s = &t->lat->bss->totals;

	memset(s->lat_us, 0, sizeof(s->lat_us));
	s->samples = 0;
	trace_map_clear(bpf_map__fd(t->lat->maps.inodes), sizeof(__u64));
}

int tracer_latency_get(struct tracer *t, uint64_t ino, struct lat_stat *out)
{
	__u64 k = ino;

	if (!t || !t->lat)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(t->lat->maps.inodes), &k, out))
		return -errno;
	return 0;
}

int tracer_latency_totals(struct tracer *t, struct lat_totals *out)
{
	if (!t || !t->lat)
		return -ENOENT;
	memcpy(out, &t->lat->bss->totals, sizeof(*out));
	return 0;
}

struct inbox_row {
	__u64 ino;
	struct lat_stat st;
	double p99;
};

static int by_p99_desc(const void *a, const void *b)
{
	const struct inbox_row *x = a, *y = b;

	return x->p99 < y->p99 ? 1 : x->p99 > y->p99 ? -1 : 0;
}

/* Inboxes that were read at least once, slowest (p99) first. */
static int read_inboxes(struct tracer *t, struct inbox_row **rows, size_t *n)
{
	int fd = bpf_map__fd(t->lat->maps.inodes);
	struct inbox_row *v = calloc(LAT_MAX_INODES, sizeof(*v));
	__u64 k = 0, next;
	bool first = true;
	size_t len = 0;

	if (!v)
		return -ENOMEM;
	while (len < LAT_MAX_INODES && !bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v[len].st) || !v[len].st.samples)
			continue;
		v[len].ino = k;
		v[len].st.name[LAT_NAME_LEN - 1] = '\0';
		v[len].p99 = trace_pct(v[len].st.lat_us, 0.99, v[len].st.max_ns / 1e3);
		len++;
	}
	qsort(v, len, sizeof(*v), by_p99_desc);
	*rows = v;
	*n = len;
	return 0;
}

/* Overall max: the largest per-inbox max (-1: unknown, no inbox). */
static double max_us(const struct inbox_row *rows, size_t n)
{
	double m = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].st.max_ns / 1e3 > m)
			m = rows[i].st.max_ns / 1e3;
	return m;
}

int trace_latency_json(struct tracer *t, FILE *f)
{
	struct lat_totals *tot = &t->lat->bss->totals;
	struct inbox_row *rows;
	size_t n, i;
	int err = read_inboxes(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "{\"write_read_us\":");
	trace_json_pcts(f, tot->lat_us, max_us(rows, n));
	fprintf(f, ",\"per_inbox\":[");
	for (i = 0; i < n && i < t->top; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		trace_json_str(f, rows[i].st.name, sizeof(rows[i].st.name));
		fprintf(f, ",\"inode\":%llu,\"samples\":%llu,\"writes\":%llu,"
			"\"bytes_written\":%llu,\"bytes_read\":%llu,\"write_read_us\":",
			(unsigned long long)rows[i].ino, (unsigned long long)rows[i].st.samples,
			(unsigned long long)rows[i].st.writes,
			(unsigned long long)rows[i].st.bytes_written,
			(unsigned long long)rows[i].st.bytes_read);
		trace_json_pcts(f, rows[i].st.lat_us, rows[i].st.max_ns / 1e3);
		fputc('}', f);
	}
	fprintf(f, "],\"inboxes\":%zu,\"unmatched_writes\":%llu,\"map_full\":%llu}", n,
		(unsigned long long)tot->overflow, (unsigned long long)tot->map_full);
	free(rows);
	return 0;
}

int trace_latency_text(struct tracer *t, FILE *f)
{
	struct lat_totals *tot = &t->lat->bss->totals;
	struct inbox_row *rows;
	size_t n, i;
	int err = read_inboxes(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "write -> read latency: %llu samples on %zu inboxes\n",
		(unsigned long long)tot->samples, n);
	if (tot->samples) {
		double mx = max_us(rows, n);

		fprintf(f, "  p50 %.0f us, p95 %.0f us, p99 %.0f us, max %.0f us\n",
			trace_pct(tot->lat_us, 0.50, mx), trace_pct(tot->lat_us, 0.95, mx),
			trace_pct(tot->lat_us, 0.99, mx), mx);
		hist_print(f, tot->lat_us, HIST_SLOTS, "usecs");
	}
	if (n) {
		fprintf(f, "\nslowest inboxes\n%-24s %10s %8s %9s %9s %9s\n", "FILE", "INODE",
			"SAMPLES", "P50us", "P99us", "MAXus");
		for (i = 0; i < n && i < t->top; i++)
			fprintf(f, "%-24.24s %10llu %8llu %9.0f %9.0f %9.0f\n",
				rows[i].st.name[0] ? rows[i].st.name : "?",
				(unsigned long long)rows[i].ino,
				(unsigned long long)rows[i].st.samples,
				trace_pct(rows[i].st.lat_us, 0.5, rows[i].st.max_ns / 1e3), rows[i].p99,
				rows[i].st.max_ns / 1e3);
	}
	free(rows);
	return 0;
}
