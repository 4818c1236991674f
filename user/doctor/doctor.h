/*
 * swarm doctor: preflight checks for a host or container.
 *
 * Every check yields one line: OK / WARN / FAIL, what was found, and the
 * fix. FAIL means a swarm of the requested size will not run here; WARN
 * means it runs with less (no BPF signals, no cgroup, little headroom).
 * The checks read only, except three probes that undo themselves: a
 * child cgroup made and removed, tracefs mounted in a private mount
 * namespace of a child process, and trivial BPF programs loaded and
 * attached (in that child, released when it exits). Because of those
 * forks, call doctor_run() from a single-threaded process (the CLI, or
 * before the coordinator starts its helper threads).
 */
#ifndef SWARM_DOCTOR_H
#define SWARM_DOCTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_WARN,
	DOCTOR_FAIL,
};

#define DOCTOR_MAX_CHECKS 32
#define DOCTOR_TEXT 384

struct doctor_check {
	const char *name;            /* stable id, e.g. "shm_size" */
	enum doctor_status status;
	char found[DOCTOR_TEXT];
	char fix[DOCTOR_TEXT];       /* empty when OK */
};

struct doctor_opts {
	uint64_t agents;             /* -n: agents planned */
	const char *shm_path;        /* --shm: where the bus lives */
	uint64_t live_bytes;         /* --live: unread data per inbox */
};

struct doctor_report {
	struct doctor_opts opts;
	uint64_t shm_need;           /* bytes, doctor_shm_need() */
	uint64_t fd_need;            /* fds, doctor_fd_need() */
	size_t n;
	struct doctor_check c[DOCTOR_MAX_CHECKS];
};

#define DOCTOR_DEF_AGENTS     1000
#define DOCTOR_DEF_LIVE_BYTES (64u << 10)

/* Bytes of tmpfs a swarm of `agents` needs: (agents + 1) inboxes (one per
 * agent and the master's), each a 4 KiB header file (the bus preallocates
 * one page: header + dedup table) plus live_bytes of unread messages
 * rounded up to pages, plus 72 B per sender in the master's dedup table:
 *   need = (N + 1) * (4 KiB + pageup(live)) + pageup(72 * N)
 * live is an assumption (default 64 KiB: ~128 unread 512 B messages per
 * inbox); the bus's hard bound is 64 MiB per inbox. */
uint64_t doctor_shm_need(uint64_t agents, uint64_t live_bytes);
/* File descriptors the master of a flat swarm holds at most: 64 of its
 * own plus, per agent, the agent's inbox header and current segment and
 * one output pipe (exits come through one signalfd, not a pidfd each):
 * need = 64 + 3 * N. */
uint64_t doctor_fd_need(uint64_t agents);

/* Run every check. Returns 0 (the verdicts are in r), or -errno. */
int doctor_run(const struct doctor_opts *o, struct doctor_report *r);
enum doctor_status doctor_worst(const struct doctor_report *r);
const char *doctor_status_name(enum doctor_status s);   /* "OK" ... */
void doctor_print_text(FILE *f, const struct doctor_report *r);
void doctor_print_json(FILE *f, const struct doctor_report *r);

#endif
