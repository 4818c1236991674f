/* Process-level helpers for coordinators: agent environments, resource
 * sampling, the path of our own binary. */
#ifndef SWARM_COORD_SYS_H
#define SWARM_COORD_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "proc.h"  /* proc_fd_count and the rest, for the samplers */
#include "util.h"

/* The environment every agent gets: ours minus any SWARM_* of our own,
 * plus SWARM_DIR, SWARM_ID, SWARM_AGENT, SWARM_PARENT, SWARM_TASK_ID. */
struct agent_env {
	char **envp;            /* base entries + 5 + NULL */
	size_t base;
	char agent[16 + NAME_MAX_LEN];
	char parent[16 + NAME_MAX_LEN];
	char task[48];
	char *dir, *id;         /* "SWARM_DIR=..." / "SWARM_ID=..." */
};
int agent_env_init(struct agent_env *e, const char *dir, const char *id);
/* task_id is 1-based; 0 leaves SWARM_TASK_ID empty. */
void agent_env_set(struct agent_env *e, const char *agent, const char *parent,
		   uint64_t task_id);
void agent_env_free(struct agent_env *e);

/* The signals that stop a coordinator (INT, TERM, HUP) are events of its
 * loop, and so is SIGCHLD (a pool's exits): block them (before any thread
 * starts, or that thread would take them with the default action) and
 * ignore SIGPIPE. Agents get an empty
 * mask back at spawn. */
void coord_block_signals(void);
/* A non-blocking signalfd for those signals; -1 with errno set on failure. */
int coord_signalfd(void);


struct priv_user;
struct run_report;
/* A master's priv_drop(u) (see priv.h), recorded in the report's
 * privileges fields. 0 or -errno. */
int coord_drop_privileges(const struct priv_user *u, struct run_report *rep);

#endif
