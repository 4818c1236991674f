/* Small helpers shared by the tracer's reports: percentiles of a log2
 * histogram (text and JSON), clearing a map. */
#include <stdlib.h>

#include <bpf/bpf.h>

#include "hist.h"
#include "json.h"
#include "trace_int.h"

double trace_pct(const uint32_t *slots, double p, double max_us)
{
	double v = hist_percentile(slots, HIST_SLOTS, p);

	/* interpolation inside the top slot can overshoot the true max */
	return max_us >= 0 && v > max_us ? max_us : v;
}

void trace_json_pcts(struct jsonw *w, const uint32_t *slots, double max_us)
{
	int i, j;

	jsonw_start_object(w);
	jsonw_uint_field(w, "count", hist_total(slots, HIST_SLOTS));
	jsonw_float_field(w, "p50", "%.1f", trace_pct(slots, 0.50, max_us));
	jsonw_float_field(w, "p95", "%.1f", trace_pct(slots, 0.95, max_us));
	jsonw_float_field(w, "p99", "%.1f", trace_pct(slots, 0.99, max_us));
	if (max_us >= 0)
		jsonw_float_field(w, "max", "%.1f", max_us);
	/* raw slots (slot i counts values in [2^i, 2^(i+1)) us), trailing
	 * zeros cut, so a reader can redo the percentiles */
	jsonw_name(w, "log2_slots");
	jsonw_start_array(w);
	for (i = HIST_SLOTS - 1; i >= 0 && !slots[i]; i--)
		;
	for (j = 0; j <= i; j++)
		jsonw_uint(w, slots[j]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

void trace_json_dev(struct jsonw *w, uint32_t dev)
{
	char d[24];

	snprintf(d, sizeof(d), "%u:%u", dev >> 20, dev & 0xfffff);
	jsonw_string_field(w, "dev", d);
}

void trace_map_clear(int map_fd, size_t key_size)
{
	void *k = calloc(2, key_size);

	if (!k)
		return;
	/* always restart from the first key: deleting the current key would
	 * make get_next_key restart anyway */
	while (!bpf_map_get_next_key(map_fd, NULL, k))
		if (bpf_map_delete_elem(map_fd, k))
			break;
	free(k);
}
