/* write->read latency on the bus filesystem: structs shared by
 * bpf/latency.bpf.c and user/trace_latency.c. Fixed-size fields only. */
#ifndef SWARM_LATENCY_H
#define SWARM_LATENCY_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "hist.h"

#define LAT_MAX_INODES 8192
#define LAT_RING 8          /* unread writes remembered per inode */
#define LAT_NAME_LEN 32

/* Writes not yet read back, oldest first (a small ring per inode). */
struct lat_pending {
	__u64 ts[LAT_RING];     /* when the write returned */
	__u64 end[LAT_RING];    /* file offset just past the written bytes */
	__u32 tgid[LAT_RING];   /* the writer */
	__u32 head;             /* oldest entry */
	__u32 count;
	__u64 overflow;         /* writes not remembered: ring was full */
};

struct lat_stat {
	__u64 samples;
	__u64 writes;
	__u64 bytes_written;
	__u64 bytes_read;
	__u64 max_ns;
	__u32 lat_us[HIST_SLOTS];
	char name[LAT_NAME_LEN];
};

struct lat_totals {
	__u64 samples;
	__u64 map_full;
	__u64 overflow;
	__u32 lat_us[HIST_SLOTS];
};

#endif
