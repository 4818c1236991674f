/*
 * The hybrid topology across hosts: `swarm run --bus nats://...` (the
 * master, coord_nats_master.c) and `swarm coordinator --join nats://...`
 * (a coordinator on any host, coord_nats_node.c). The NATS side is
 * nats_mesh.h; the workers of each coordinator stay on a private /dev/shm
 * bus of that coordinator's host, served by the same worker pool as a
 * one-host coordinator. See docs/nats.md.
 */
#ifndef SWARM_COORD_NATS_H
#define SWARM_COORD_NATS_H

#include "coord.h"
#include "report.h"

/* The master is coord_run with run_opts.nats set (topo_nats in
 * coord_nats_master.c). */
/* Free the report's "nats" section (after printing the report). */
void coord_nats_report_free(struct run_report *rep);

struct nats_node_opts {
	const char *url, *swarm, *name;
	struct node_workers w;      /* argv[0] is resolved on PATH here */
	double connect_s;           /* how long to wait for the server / swarm */
	const char *logs_dir;       /* NULL: ${TMPDIR:-/tmp}/swarm-<swarm>-<name> */
	const char *bus_id;         /* the local bus's id; NULL: random */
	/* This host's tracer (run_trace.h): fed from the loop, its section
	 * sent to the master at the end. NULL: untraced. */
	const struct run_hooks *hooks;
	const struct report_kernel *kernel;
};

/* Coordinator: take tasks from the swarm's stream while it exists, run
 * them on W local workers, publish each result then ack. Returns an exit
 * code: 0 when the master ended the swarm, 3 when NATS or the local bus
 * failed, 128+N when stopped by signal N (unfinished tasks are handed
 * back to the other coordinators at once). */
int coord_nats_node(const struct nats_node_opts *o);

#endif
