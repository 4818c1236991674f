/*
 * swarm top: a snapshot of a running swarm, asked of the master over the
 * control channel, and the views that draw it.
 *
 *   ctl-<pid> -> master   MSG_CONTROL  "top <seq>"
 *   master -> ctl-<pid>   MSG_CONTROL  the snapshot below, seq echoed
 *
 * Snapshot payload: text, one item per line, fields separated by one
 * space, every line ending in '\n':
 *
 *   swarm-top 1 <seq>
 *   run <pid> flat|hybrid <paused 0|1> <traced 0|1> <elapsed_ms>
 *       <expected> <done> <delivered> <failed> <msgs>      (one line)
 *   states <starting> <busy> <idle> <hung> <exited> <failed>
 *   slow <agent> <task (1-based)> <running_ms>         0..TOP_MAX_SLOW
 *   coord <name> <pid> <alive 0|1> <open> <done> <hung> 0..TOP_MAX_COORDS
 *   coords <total>          hybrid: coordinator slots, listed or not
 *   lock <wait_us> <max_us> <contended> <acquisitions> <path>
 *                           0..TOP_MAX_LOCKS; path is the rest of the line
 *   fd <agent|-> <pid> <growth> <exited 0|1>            0..TOP_MAX_FDS
 *   final                   the run is over: the master's last word
 *   end
 *
 * The master remembers its last TOP_WATCHERS askers and, when the run is
 * over, sends each a last snapshot marked final (the seq of its last
 * request), so a watcher sees the end state and not the one before it.
 *
 * Bounded by construction (top-N lists, never one line per agent): well
 * under TOP_SNAP_MAX bytes for any swarm. A frame from the bus is never
 * trusted: top_snap_decode checks every field, count and bound and
 * returns -EBADMSG on anything else.
 *
 * States: starting (spawned, its task not read yet and nothing sent: the
 * master looks at the slot's inbox, at most 256 per request), busy (has
 * a task), idle
 * (alive, no task), hung (silent past --heartbeat), exited (gone after
 * its work), failed (gone with a task unanswered). A hybrid master sees
 * its coordinators, not their workers: there the states count
 * coordinators (busy: tasks open; failed: died with tasks open), and the
 * per-coordinator rows count the tasks they flagged hung.
 */
#ifndef SWARM_TOP_H
#define SWARM_TOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define TOP_PROTO_VERSION 1
#define TOP_SNAP_MAX   (16u << 10)
#define TOP_MAX_SLOW   8
#define TOP_MAX_COORDS 16
#define TOP_MAX_LOCKS  5
#define TOP_MAX_FDS    5
#define TOP_PATH_LEN   96     /* a lock file's path: its tail is kept */
#define TOP_WATCHERS   4      /* askers the master sends the final snapshot */

enum top_state {
	TOP_STARTING, TOP_BUSY, TOP_IDLE, TOP_HUNG, TOP_EXITED, TOP_FAILED,
	TOP_STATES,
};

struct top_slow {
	char agent[NAME_MAX_LEN + 1];
	uint32_t task;
	uint64_t running_ms;
};

struct top_coord {
	char name[NAME_MAX_LEN + 1];
	int32_t pid;
	uint32_t alive, open, done, hung;
};

struct top_lock {
	uint64_t wait_us, max_us, contended, acquisitions;
	char path[TOP_PATH_LEN];
};

struct top_fd {
	char agent[NAME_MAX_LEN + 1];   /* "-" when unknown */
	int32_t pid;
	int64_t growth;
	uint32_t exited;
};

struct top_snap {
	uint32_t seq;
	int32_t pid;
	uint32_t hybrid, paused, traced, final;
	uint64_t elapsed_ms;
	uint64_t expected, done, delivered, failed, msgs;
	uint32_t states[TOP_STATES];
	uint32_t nslow, ncoords, coords_total, nlocks, nfds;
	struct top_slow slow[TOP_MAX_SLOW];
	struct top_coord coords[TOP_MAX_COORDS];
	struct top_lock locks[TOP_MAX_LOCKS];
	struct top_fd fds[TOP_MAX_FDS];
};

extern const char *const top_state_names[TOP_STATES];

/* top_snap.c. encode: payload length, or -ENOSPC; decode: 0 or -EBADMSG. */
int top_snap_encode(const struct top_snap *s, char *buf, size_t cap);
int top_snap_decode(const void *data, size_t len, struct top_snap *s);
/* Keep the n longest-running of the slow list: insert if it ranks. */
void top_slow_offer(struct top_snap *s, const char *agent, uint32_t task,
		    uint64_t running_ms);

/* top_view.c: what the views show besides the snapshot. */
struct top_rates {
	double msgs_per_s, tasks_per_s;   /* < 0: not known yet */
};
/* Rates between two snapshots of one run (prev may be NULL). */
void top_rates(const struct top_snap *prev, const struct top_snap *cur,
	       struct top_rates *r);
/* The full-screen view: at most rows lines of at most cols bytes each
 * (plain ASCII), '\n'-terminated, into buf. title names the swarm;
 * note (may be NULL) is a status line ("master not answering").
 * Returns the bytes written (buf is always NUL-terminated). */
size_t top_view_screen(const struct top_snap *s, const struct top_rates *r,
		       const char *title, const char *note, int cols, int rows,
		       char *buf, size_t cap);
/* One line per interval for pipes: time, states, msgs/s, delivery. */
void top_view_line(FILE *f, const struct top_snap *s, const struct top_rates *r,
		   uint64_t wall);
/* One JSON object per interval (schema_version 1). */
void top_view_json(FILE *f, const struct top_snap *s, const struct top_rates *r,
		   uint64_t wall);

#endif
