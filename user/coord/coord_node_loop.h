/*
 * The one body of a coordinator node, whichever transport brings its
 * tasks: W workers behind a pool (coord_pool.h) on a local bus, and one
 * epoll loop over the pool's children, the node's own inbox, the stop
 * signals and the transport's own fds.
 *
 * coord_node.c takes its tasks from the master over the /dev/shm bus;
 * coord_nats_node.c from the swarm's JetStream stream. They differ only in
 * their struct node_transport and in how they set up their bus; the
 * options of the worker side, the pool's configuration and the loop are
 * this file's.
 */
#ifndef SWARM_COORD_NODE_LOOP_H
#define SWARM_COORD_NODE_LOOP_H

#include "coord.h"
#include "coord_pool.h"

/* How tasks come and when they stop coming. Called from node_loop_run. */
struct node_transport {
	/* Every round, before the events are looked at: read the own inbox
	 * (workers' messages, and the master's under the /dev/shm bus) and
	 * whatever else brings tasks. */
	void (*poll)(void *arg);
	/* An fd added with node_loop_add was ready; tag is its tag. NULL: none. */
	void (*on_event)(void *arg, int *tag);
	/* After the events: nonzero holds the workers this round (no spawn,
	 * no tick), e.g. while the swarm is paused. NULL: never. */
	int (*after)(void *arg);
	/* Nonzero once no more tasks will come (the end of the swarm). */
	int (*ended)(void *arg);
	void *arg;
};

struct node_loop {
	struct pool *pool;
	int epfd, sigfd;
	int ev_inbox, ev_signal;      /* epoll tags */
	int stop_sig;                 /* set by a stop signal: leave now */
};

/* The epoll set, the stop-signal fd and notify_fd (the own inbox's
 * eventfd, inbox_notify_fd) in it. Signals must be blocked already
 * (coord_block_signals). */
int node_loop_open(struct node_loop *l, int notify_fd);
int node_loop_add(struct node_loop *l, int fd, int *tag);

/* The pool's configuration for these workers: slots <name>-w1..wW on
 * `bus`, answering to `self`. Callbacks, spawn_burst and journal_fd are
 * left to the caller. `prefix` must outlive the pool. */
void node_pool_cfg(struct pool_cfg *c, const struct node_workers *w,
		   struct bus *bus, struct inbox *self, const char *name,
		   char *prefix, size_t prefix_len, int logs_fd);
int node_loop_pool(struct node_loop *l, const struct pool_cfg *c);

/* Until a stop signal, or the transport has ended and nothing is left. */
void node_loop_run(struct node_loop *l, const struct node_transport *t);

/* Closes the loop's fds. The pool (l->pool) is the caller's to free: its
 * workers' bus may have to go first or last. */
void node_loop_close(struct node_loop *l);

#endif
