/*
 * The NATS master's reader thread. nm_master is single-threaded and its
 * reads are blocking fetches with no fd to wait on, while the master's
 * loop (coord_master.c) waits on epoll for its inbox, signals, children
 * and metrics. So one thread owns the nm_master for the run: it polls,
 * turns what it reads into self-contained events (output and failure
 * history copied) and rings an eventfd; the loop takes them in order.
 *
 * It also does what needs the ledger while the run is on: a task the
 * server gave up on without telling us (we were reconnecting) is failed
 * once nothing can be delivered any more, and a local coordinator's exit
 * is handed to failover (nats_failover.h).
 */
#ifndef SWARM_NATS_PUMP_H
#define SWARM_NATS_PUMP_H

#include "nats_mesh.h"

struct pump_ev {
	struct nm_event ev;           /* ev.out points into this allocation */
	char why[256];                /* NM_EV_FAILED: reason with history */
	struct pump_ev *next;
};

struct nats_pump;

/* Start the thread on nm (published already); nm is the thread's until
 * nats_pump_stop. */
int nats_pump_start(struct nm_master *nm, struct nats_pump **out);
/* Readable when events are queued; nats_pump_take re-arms it. */
int nats_pump_fd(const struct nats_pump *p);
/* Every queued event, oldest first (free each with free()), or NULL. */
struct pump_ev *nats_pump_take(struct nats_pump *p);
/* A coordinator started here exited: its open tasks go to the others. */
int nats_pump_coord_gone(struct nats_pump *p, const char *name);
/* Stop the thread. drain: first read what is already on its way (the
 * last heartbeats name the coordinators); events it reads stay queued
 * for nats_pump_take. nm is the caller's again; p stays valid (for
 * take) until nats_pump_free. */
void nats_pump_stop(struct nats_pump *p, int drain);
void nats_pump_free(struct nats_pump *p);

/* "<what>; deliveries: <history>" for task into out (the ledger's record
 * of who took it when), cut to len. */
void nats_history_reason(const struct ledger *led, uint32_t task,
			 const char *what, char *out, size_t len);

#endif
