/* publish->consume latency on the bus: structs shared by
 * bpf/latency.bpf.c and user/trace/trace_latency.c. Fixed-size fields only.
 *
 * What counts: a frame published into an inbox by libswarm's bus code
 * (the swarm:publish USDT probe, after the tail moved) and consumed from
 * it by libswarm (swarm:consume). Raw write(2)s to the bus files by other
 * programs are not messages and are not seen. */
#ifndef SWARM_LATENCY_H
#define SWARM_LATENCY_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "hist.h"

#define LAT_MAX_INODES 4096
#define LAT_RING 16         /* unread publishes remembered per inbox */
#define LAT_NAME_LEN 32

/* attach cookies of the probe sites (bpf/latency.bpf.c, user/trace/trace_usdt.c) */
#define LAT_PROBE_PUBLISH 1
#define LAT_PROBE_CONSUME 2

/* Publishes not yet consumed, oldest first (a small ring per inbox). */
struct lat_pending {
	__u64 ts[LAT_RING];     /* when the tail moved */
	__u64 end[LAT_RING];    /* bus position just past the frames */
	__u32 tgid[LAT_RING];   /* the writer */
	__u32 head;             /* oldest entry */
	__u32 count;
	__u64 overflow;         /* publishes not remembered: ring was full */
};

struct lat_stat {
	__u64 samples;
	__u64 writes;           /* publishes (one per batch of frames) */
	__u64 frames_written;
	__u64 frames_read;
	__u64 max_ns;
	__u32 lat_us[HIST_SLOTS];
	char name[LAT_NAME_LEN]; /* the inbox header file */
};

struct lat_totals {
	__u64 samples;
	__u64 map_full;
	__u64 overflow;
	__u32 lat_us[HIST_SLOTS];
};

#endif
