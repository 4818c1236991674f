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

/* An inbox is the files of one agent: "b.inbox" (header) and its rolling
 * segments "b.00000001.seg"...; the agent name is what precedes the first
 * dot. Files named otherwise (no dot, or a leading dot) stand alone. */
struct group_row {
	char name[LAT_NAME_LEN];
	uint64_t samples, max_ns;
	uint32_t files;
	uint32_t lat_us[HIST_SLOTS];
	double p99;
};

static void inbox_of(const char *file, char *out)
{
	size_t i;

	for (i = 0; i + 1 < LAT_NAME_LEN && file[i]; i++) {
		if (file[i] == '.' && i > 0)
			break;
		out[i] = file[i];
	}
	out[i] = '\0';
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct group_row *)a)->name, ((const struct group_row *)b)->name);
}

static int by_group_p99_desc(const void *a, const void *b)
{
	const struct group_row *x = a, *y = b;

	return x->p99 < y->p99 ? 1 : x->p99 > y->p99 ? -1 : 0;
}

/* Caller frees *out. Slowest (p99) first. */
static int group_inboxes(const struct inbox_row *rows, size_t n, struct group_row **out,
			 size_t *ng)
{
	struct group_row *g = calloc(n + 1, sizeof(*g));
	size_t i, j, k = 0;

	if (!g)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		inbox_of(rows[i].st.name, g[i].name);
		g[i].samples = rows[i].st.samples;
		g[i].max_ns = rows[i].st.max_ns;
		g[i].files = 1;
		memcpy(g[i].lat_us, rows[i].st.lat_us, sizeof(g[i].lat_us));
	}
	qsort(g, n, sizeof(*g), by_name);
	for (i = 0; i < n; i++) {
		if (k && !strcmp(g[k - 1].name, g[i].name)) {
			g[k - 1].samples += g[i].samples;
			g[k - 1].files++;
			if (g[i].max_ns > g[k - 1].max_ns)
				g[k - 1].max_ns = g[i].max_ns;
			for (j = 0; j < HIST_SLOTS; j++)
				g[k - 1].lat_us[j] += g[i].lat_us[j];
			continue;
		}
		if (k != i)
			g[k] = g[i];
		k++;
	}
	for (i = 0; i < k; i++)
		g[i].p99 = trace_pct(g[i].lat_us, 0.99, g[i].max_ns / 1e3);
	qsort(g, k, sizeof(*g), by_group_p99_desc);
	*out = g;
	*ng = k;
	return 0;
}

int trace_latency_json(struct tracer *t, FILE *f)
{
	struct lat_totals *tot = &t->lat->bss->totals;
	struct group_row *g = NULL;
	struct inbox_row *rows;
	size_t n, ng = 0, i;
	int err = read_inboxes(t, &rows, &n);

	if (err)
		return err;
	err = group_inboxes(rows, n, &g, &ng);
	if (err)
		goto out;
	fprintf(f, "{\"write_read_us\":");
	trace_json_pcts(f, tot->lat_us, max_us(rows, n));
	fprintf(f, ",\"per_inbox\":[");
	for (i = 0; i < ng && i < t->top; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		trace_json_str(f, g[i].name, sizeof(g[i].name));
		fprintf(f, ",\"files\":%u,\"samples\":%llu,\"write_read_us\":", g[i].files,
			(unsigned long long)g[i].samples);
		trace_json_pcts(f, g[i].lat_us, g[i].max_ns / 1e3);
		fputc('}', f);
	}
	fprintf(f, "],\"per_file\":[");
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
	fprintf(f, "],\"inboxes\":%zu,\"files\":%zu,\"unmatched_writes\":%llu,"
		"\"map_full\":%llu}", ng, n, (unsigned long long)tot->overflow,
		(unsigned long long)tot->map_full);
out:
	free(g);
	free(rows);
	return err;
}

int trace_latency_text(struct tracer *t, FILE *f)
{
	struct lat_totals *tot = &t->lat->bss->totals;
	struct group_row *g = NULL;
	struct inbox_row *rows;
	size_t n, ng = 0, i;
	int err = read_inboxes(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "write -> read latency: %llu samples on %zu files\n",
		(unsigned long long)tot->samples, n);
	if (tot->samples) {
		double mx = max_us(rows, n);

		fprintf(f, "  p50 %.0f us, p95 %.0f us, p99 %.0f us, max %.0f us\n",
			trace_pct(tot->lat_us, 0.50, mx), trace_pct(tot->lat_us, 0.95, mx),
			trace_pct(tot->lat_us, 0.99, mx), mx);
		hist_print(f, tot->lat_us, HIST_SLOTS, "usecs");
	}
	if (n && !group_inboxes(rows, n, &g, &ng)) {
		fprintf(f, "\nslowest inboxes\n%-24s %6s %8s %9s %9s %9s\n", "INBOX", "FILES",
			"SAMPLES", "P50us", "P99us", "MAXus");
		for (i = 0; i < ng && i < t->top; i++)
			fprintf(f, "%-24.24s %6u %8llu %9.0f %9.0f %9.0f\n",
				g[i].name[0] ? g[i].name : "?", g[i].files,
				(unsigned long long)g[i].samples,
				trace_pct(g[i].lat_us, 0.5, g[i].max_ns / 1e3), g[i].p99,
				g[i].max_ns / 1e3);
		if (ng && g[0].samples) {
			fprintf(f, "\nwrite -> read latency: inbox %s\n", g[0].name);
			hist_print(f, g[0].lat_us, HIST_SLOTS, "usecs");
		}
		free(g);
	}
	free(rows);
	return 0;
}
