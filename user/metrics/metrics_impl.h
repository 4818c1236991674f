/* Private to user/metrics*.c: the registry's layout. */
#ifndef SWARM_METRICS_IMPL_H
#define SWARM_METRICS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct metric_sample {
	char *labels;        /* rendered and escaped: a="x",b="y" or "" */
	double value;        /* counter, gauge */
	uint64_t *slots;     /* histogram: raw log2 slot counts */
	size_t nslots;
	double scale, sum;
};

struct metric_family {
	char *name;
	char *help;          /* raw; escaped when rendered */
	enum metric_type type;
	struct metric_sample *s;
	size_t n, cap;
};

struct metrics {
	struct metric_family *f;
	size_t n, cap;
};

#endif
