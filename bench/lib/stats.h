/* Percentiles over latency samples (nanoseconds). */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

void sort_u64(uint64_t *v, size_t n);
/* Nearest-rank percentile of sorted v (p in 0..100); 0 when n == 0. */
uint64_t pct_sorted(const uint64_t *v, size_t n, double p);

#endif
