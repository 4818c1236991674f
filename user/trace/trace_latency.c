/* publish->consume latency: attaches bpf/latency.bpf.c to libswarm's USDT
 * probes, reads the per-inbox and overall histograms. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "json.h"
#include "trace_int.h"
#include "swarm.skel.h"
#include "core_path.h"
#include <unistd.h>

/* Where libswarm's bus code runs: the agent front (send, recv), the core
 * (masters, coordinators, demo agents), this program, the programs the
 * traced tree ran when we attached, and any extra the caller names. One uprobe per probe and binary, for every process that
 * maps it: the program filters by the tree. */
struct bins {
	char own[3][4096]; /* front, core, self */
	const char *v[TRACE_USDT_MAX / 2];
	size_t n;
};

static void add_bin(struct bins *b, const char *p)
{
	size_t j;

	if (!p || !*p || b->n >= TRACE_USDT_MAX / 2 || access(p, R_OK))
		return;
	for (j = 0; j < b->n; j++)
		if (!strcmp(b->v[j], p))
			return;
	b->v[b->n++] = p;
}

static void probe_bins(struct tracer *t, struct bins *b)
{
	size_t i;

	b->n = 0;
	if (!swarm_front_path(b->own[0], sizeof(b->own[0])))
		add_bin(b, b->own[0]);
	if (!swarm_core_path(b->own[1], sizeof(b->own[1])))
		add_bin(b, b->own[1]);
	if (!swarm_self_path(b->own[2], sizeof(b->own[2])))
		add_bin(b, b->own[2]);
	for (i = 0; t->opts.probe_bins && t->opts.probe_bins[i]; i++)
		add_bin(b, t->opts.probe_bins[i]);
	for (i = 0; i < t->nexes; i++)
		add_bin(b, t->exes[i]);
}

/* One uprobe_multi link per binary over its publish and consume sites.
 * -ENOENT: no binary has our probes; other errors are the kernel's (the
 * first one seen). */
int trace_latency_attach(struct tracer *t)
{
	static const struct usdt_want want[] = {
		{ "publish", LAT_PROBE_PUBLISH },
		{ "consume", LAT_PROBE_CONSUME },
	};
	int prog = t->fd.bus_probe, err = -ENOENT, fd;
	struct bins *b = malloc(sizeof(*b));
	struct usdt_site *sites = calloc(TRACE_USDT_SITES, sizeof(*sites));
	size_t i, n;

	if (!b || !sites) {
		err = -ENOMEM;
		goto out;
	}
	probe_bins(t, b);
	for (i = 0; i < b->n && t->probe_links < TRACE_USDT_MAX; i++) {
		fd = usdt_sites(b->v[i], "swarm", want, 2, sites, TRACE_USDT_SITES, &n);
		if (!fd)
			fd = uprobe_multi_link(prog, b->v[i], sites, n);
		if (fd >= 0) {
			t->probe_links++;
			trace_hold(t, fd);
			err = 0;
		} else if (fd != -ENOENT && fd != -ENOEXEC && err == -ENOENT) {
			err = fd; /* a binary without our probes is no error */
		}
	}
out:
	free(sites);
	free(b);
	close(t->fd.bus_probe); /* the links keep the program */
	t->fd.bus_probe = -1;
	return t->probe_links ? 0 : err;
}

void trace_latency_clear(struct tracer *t)
{
	struct lat_totals *s = &t->bss->lat_stats;

	memset(s->lat_us, 0, sizeof(s->lat_us));
	s->samples = 0;
	trace_map_clear(t->fd.inodes, sizeof(__u64));
}

int tracer_latency_get(struct tracer *t, uint32_t kdev, uint64_t ino, struct lat_stat *out)
{
	__u64 k = ((__u64)kdev << 44) ^ ino; /* as inbox_key() in latency.bpf.c */

	if (!t || !t->bss || !(t->on & TRACE_LATENCY))
		return -ENOENT;
	if (bpf_map_lookup_elem(t->fd.inodes, &k, out))
		return -errno;
	return 0;
}

int tracer_latency_totals(struct tracer *t, struct lat_totals *out)
{
	if (!t || !t->bss || !(t->on & TRACE_LATENCY))
		return -ENOENT;
	memcpy(out, &t->bss->lat_stats, sizeof(*out));
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
	int fd = t->fd.inodes;
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

static void per_inbox_json(struct tracer *t, struct jsonw *w, const struct group_row *g,
			   size_t ng)
{
	size_t i;

	jsonw_name(w, "per_inbox");
	jsonw_start_array(w);
	for (i = 0; i < ng && i < t->top; i++) {
		jsonw_start_object(w);
		jsonw_name(w, "name");
		jsonw_string_bytes(w, g[i].name, sizeof(g[i].name));
		jsonw_uint_field(w, "files", g[i].files);
		jsonw_uint_field(w, "samples", g[i].samples);
		jsonw_name(w, "write_read_us");
		trace_json_pcts(w, g[i].lat_us, g[i].max_ns / 1e3);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void per_file_json(struct tracer *t, struct jsonw *w, const struct inbox_row *rows,
			  size_t n)
{
	size_t i;

	jsonw_name(w, "per_file");
	jsonw_start_array(w);
	for (i = 0; i < n && i < t->top; i++) {
		jsonw_start_object(w);
		jsonw_name(w, "name");
		jsonw_string_bytes(w, rows[i].st.name, sizeof(rows[i].st.name));
		jsonw_uint_field(w, "key", rows[i].ino);
		jsonw_uint_field(w, "samples", rows[i].st.samples);
		jsonw_uint_field(w, "publishes", rows[i].st.writes);
		jsonw_uint_field(w, "frames_written", rows[i].st.frames_written);
		jsonw_uint_field(w, "frames_read", rows[i].st.frames_read);
		jsonw_name(w, "write_read_us");
		trace_json_pcts(w, rows[i].st.lat_us, rows[i].st.max_ns / 1e3);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

int trace_latency_json(struct tracer *t, struct jsonw *w)
{
	struct lat_totals *tot = &t->bss->lat_stats;
	struct group_row *g = NULL;
	struct inbox_row *rows;
	size_t n, ng = 0;
	int err = read_inboxes(t, &rows, &n);

	if (err)
		return err;
	err = group_inboxes(rows, n, &g, &ng);
	if (err)
		goto out;
	jsonw_start_object(w);
	jsonw_string_field(w, "counts", "frames published by libswarm (swarm:publish) -> "
			   "consumed (swarm:consume), other processes' reads of them");
	jsonw_uint_field(w, "probes", t->probe_links);
	jsonw_name(w, "write_read_us");
	trace_json_pcts(w, tot->lat_us, max_us(rows, n));
	per_inbox_json(t, w, g, ng);
	per_file_json(t, w, rows, n);
	jsonw_uint_field(w, "inboxes", ng);
	jsonw_uint_field(w, "files", n);
	jsonw_uint_field(w, "unmatched_writes", tot->overflow);
	jsonw_uint_field(w, "map_full", tot->map_full);
	jsonw_end_object(w);
out:
	free(g);
	free(rows);
	return err;
}

int trace_latency_text(struct tracer *t, FILE *f)
{
	struct lat_totals *tot = &t->bss->lat_stats;
	struct group_row *g = NULL;
	struct inbox_row *rows;
	size_t n, ng = 0, i;
	int err = read_inboxes(t, &rows, &n);

	if (err)
		return err;
	fprintf(f, "publish -> consume latency (bus frames, libswarm USDT): %llu samples on %zu inboxes\n",
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
