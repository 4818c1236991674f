/* swarm — constants shared by every module and the CLI (internal; the
 * library's public names are in include/swarm/swarm.h). */
#ifndef SWARM_H
#define SWARM_H

/* SWARM_VERSION: generated from git describe or VERSION (tools/version.sh) */
#include "version.h"

/* Exit codes, documented in README.md and every --help. */
enum exit_code {
	EXIT_OK = 0,        /* everything delivered / done */
	EXIT_JOB = 1,       /* the job failed: not all delivered, inbox empty */
	EXIT_USAGE = 2,     /* bad arguments */
	EXIT_ENV = 3,       /* environment: permission, no space, no such bus */
	EXIT_FULL = 4,      /* inbox full: backpressure, retry later */
	EXIT_STOP = 5,      /* recv: the coordinator said stop (no more tasks) */
	EXIT_TIMEOUT = 124, /* --wait / --timeout elapsed */
};

/* Message types carried in a frame. Users send DATA unless told. */
enum msg_type {
	MSG_DATA = 0,
	MSG_TASK = 1,
	MSG_RESULT = 2,
	MSG_HEARTBEAT = 3,
	MSG_STOP = 4,
	MSG_FAIL = 5,
	MSG_CONTROL = 6,
	MSG_TYPE_MAX = 6,
};

#endif
