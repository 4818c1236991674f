/* bcc-style log2 histogram printer and percentile estimate. */
#include <string.h>

#include "hist.h"

#define BAR_WIDTH 40

int hist_slot(uint64_t v)
{
	int s = 0;

	while (v > 1 && s < HIST_SLOTS - 1) {
		v >>= 1;
		s++;
	}
	return s;
}

uint64_t hist_total(const uint32_t *slots, int nslots)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < nslots; i++)
		t += slots[i];
	return t;
}

static void print_bar(FILE *f, uint32_t v, uint32_t max)
{
	char bar[BAR_WIDTH + 1];
	int n = max ? (int)((uint64_t)v * BAR_WIDTH / max) : 0;

	if (v && !n)
		n = 1; /* a non-empty slot always shows */
	memset(bar, '*', (size_t)n);
	memset(bar + n, ' ', (size_t)(BAR_WIDTH - n));
	bar[BAR_WIDTH] = '\0';
	fprintf(f, "|%s|\n", bar);
}

void hist_print(FILE *f, const uint32_t *slots, int nslots, const char *unit)
{
	int i, first = -1, last = -1;
	uint32_t max = 0;

	for (i = 0; i < nslots; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	if (last < 0) {
		fprintf(f, "     (no samples)\n");
		return;
	}
	fprintf(f, "%24s : count    distribution\n", unit);
	for (i = first; i <= last; i++) {
		uint64_t lo = i ? 1ULL << i : 0;
		uint64_t hi = (1ULL << (i + 1)) - 1;

		fprintf(f, "%10llu -> %-10llu : %-8u ", (unsigned long long)lo,
			(unsigned long long)hi, slots[i]);
		print_bar(f, slots[i], max);
	}
}

double hist_percentile(const uint32_t *slots, int nslots, double p)
{
	uint64_t total = hist_total(slots, nslots), seen = 0;
	double want;
	int i;

	if (!total)
		return 0.0;
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	want = p * (double)total;
	for (i = 0; i < nslots; i++) {
		double lo = i ? (double)(1ULL << i) : 0.0;
		double hi = (double)(1ULL << (i + 1));

		if (!slots[i])
			continue;
		if ((double)(seen + slots[i]) >= want) {
			double frac = (want - (double)seen) / slots[i];

			return lo + frac * (hi - lo);
		}
		seen += slots[i];
	}
	return (double)(1ULL << nslots);
}
