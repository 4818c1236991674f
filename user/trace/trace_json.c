/* Small helpers shared by the tracer's reports. */
#include <stdlib.h>

#include <bpf/bpf.h>

#include "hist.h"
#include "trace_int.h"

void trace_json_str(FILE *f, const char *s, size_t max)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c); /* names come from the kernel: bytes, not UTF-8 */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

double trace_pct(const uint32_t *slots, double p, double max_us)
{
	double v = hist_percentile(slots, HIST_SLOTS, p);

	/* interpolation inside the top slot can overshoot the true max */
	return max_us >= 0 && v > max_us ? max_us : v;
}

void trace_json_pcts(FILE *f, const uint32_t *slots, double max_us)
{
	int i, j;

	fprintf(f, "{\"count\":%llu,\"p50\":%.1f,\"p95\":%.1f,\"p99\":%.1f",
		(unsigned long long)hist_total(slots, HIST_SLOTS),
		trace_pct(slots, 0.50, max_us), trace_pct(slots, 0.95, max_us),
		trace_pct(slots, 0.99, max_us));
	if (max_us >= 0)
		fprintf(f, ",\"max\":%.1f", max_us);
	/* raw slots (slot i counts values in [2^i, 2^(i+1)) us), trailing
	 * zeros cut, so a reader can redo the percentiles */
	fprintf(f, ",\"log2_slots\":[");
	for (i = HIST_SLOTS - 1; i >= 0 && !slots[i]; i--)
		;
	for (j = 0; j <= i; j++)
		fprintf(f, "%s%u", j ? "," : "", slots[j]);
	fprintf(f, "]}");
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
