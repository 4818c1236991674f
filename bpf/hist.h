/* The one log2 histogram of the project: slots filled in BPF, printed here
 * in bcc style, percentiles estimated from the slots. */
#ifndef SWARM_HIST_H
#define SWARM_HIST_H

/* Slot i holds values in [2^i, 2^(i+1)-1]; slot 0 holds 0 and 1. 32 slots
 * cover 2^32 us (71 minutes), more than any wait we care about. */
#define HIST_SLOTS 32

#ifndef __bpf__
#include <stdint.h>
#include <stdio.h>

/* Print "     usecs : count    distribution" rows with a bar of stars,
 * from the first to the last non-empty slot; under 80 columns. */
void hist_print(FILE *f, const uint32_t *slots, int nslots, const char *unit);
/* Value below which a fraction p (0..1) of the samples fall, interpolated
 * linearly inside its slot; 0 when the histogram is empty. */
double hist_percentile(const uint32_t *slots, int nslots, double p);
uint64_t hist_total(const uint32_t *slots, int nslots);
/* Slot a value would land in (same rule as the BPF side). */
int hist_slot(uint64_t v);
#endif

#endif
