/*
 * libswarm — the /dev/shm bus of swarm(1), from C.
 *
 *     #include <swarm/swarm.h>       cc agent.c $(pkg-config --cflags --libs libswarm)
 *
 * A bus is a private directory (/dev/shm/swarm-<id>, mode 0700) with one
 * append-only inbox per agent; see swarm-bus(7) for the format and its
 * guarantees. An agent started by `swarm run` finds its bus and names in
 * the environment (SWARM_DIR, SWARM_AGENT, SWARM_PARENT), so the usual
 * agent is:
 *
 *     struct swarm_agent *me;
 *     struct swarm_msg m;
 *     if (swarm_agent_open(NULL, NULL, &me) == 0 &&
 *         swarm_recv(me, &m, 30000) == 1 && m.type != SWARM_MSG_STOP) {
 *             swarm_send(me, swarm_parent(), SWARM_MSG_RESULT, "done", 4);
 *             swarm_commit(me);
 *     }
 *     swarm_agent_close(me);
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno on failure; swarm_strerror() says what it means here and
 * swarm_exit_code() maps it to the exit codes of swarm(1). Meanings
 * specific to the bus:
 *   -ENOBUFS   the destination inbox is full (its reader is not keeping up)
 *   -ENOSPC    the filesystem under the bus is full
 *   -EMSGSIZE  payload larger than SWARM_MAX_PAYLOAD
 *   -EBUSY     another process is reading this inbox
 *   -ENOENT    no such bus
 *   -EBADMSG   the directory is not a swarm bus
 *   -ELOOP, -EPERM  a symlink, a foreign owner, loose modes: refused
 *   -EINVAL    a bad name (use 1..64 of [A-Za-z0-9_-]) or argument
 *
 * Handles are not shared between threads without a lock; one process may
 * hold many. Only symbols starting with swarm_ are exported.
 */
#ifndef SWARM_SWARM_H
#define SWARM_SWARM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SWARM_API __attribute__((visibility("default")))
#else
#define SWARM_API
#endif

/* Bumped when a declaration here changes incompatibly (and with it the
 * soname, libswarm.so.N). */
#define SWARM_API_VERSION 1

#define SWARM_NAME_MAX    64          /* agent names: 1..64 of [A-Za-z0-9_-] */
#define SWARM_MAX_PAYLOAD (1u << 20)  /* bytes per message */

/* The exit codes of swarm(1); swarm_exit_code() maps an error to one. */
enum swarm_exit {
	SWARM_EXIT_OK = 0,        /* done, everything delivered */
	SWARM_EXIT_JOB = 1,       /* the job failed; recv: nothing to read */
	SWARM_EXIT_USAGE = 2,     /* bad arguments */
	SWARM_EXIT_ENV = 3,       /* permission, no space, no such bus */
	SWARM_EXIT_FULL = 4,      /* inbox full: retry later */
	SWARM_EXIT_STOP = 5,      /* recv: the coordinator said stop */
	SWARM_EXIT_WARN = 6,      /* soak: a warning threshold crossed */
	SWARM_EXIT_TIMEOUT = 124, /* a wait or timeout elapsed */
};

/* What a message is, as `swarm send --type` names it. */
enum swarm_msg_type {
	SWARM_MSG_DATA = 0,       /* anything (the default of swarm send) */
	SWARM_MSG_TASK = 1,       /* a task, from a coordinator */
	SWARM_MSG_RESULT = 2,     /* an answer to a task */
	SWARM_MSG_HEARTBEAT = 3,  /* "still working" while busy */
	SWARM_MSG_STOP = 4,       /* no more work: exit */
	SWARM_MSG_FAIL = 5,       /* the task failed; the payload says why */
	SWARM_MSG_CONTROL = 6,
};

struct swarm_bus;    /* an opened bus directory */
struct swarm_agent;  /* one name on a bus: its inbox and its send counter */

struct swarm_msg {
	char from[SWARM_NAME_MAX + 1];
	uint64_t seq;        /* per sender, increasing within an inbox */
	uint64_t ts_ns;      /* CLOCK_REALTIME when it was sent */
	uint32_t type;       /* enum swarm_msg_type */
	uint32_t len;
	const void *data;    /* len bytes, valid until the next swarm_recv */
};

/* "0.1.0" or what `git describe` said at build time. */
SWARM_API const char *swarm_version(void);
/* Text for a negative errno from this library ("inbox full", ...). */
SWARM_API const char *swarm_strerror(int err);
/* The swarm(1) exit code for err (0 -> SWARM_EXIT_OK). */
SWARM_API int swarm_exit_code(int err);

/* Create a new private bus under base (NULL: $SWARM_SHM or /dev/shm)
 * named swarm-<id> (id NULL: random). */
SWARM_API int swarm_bus_create(const char *base, const char *id, struct swarm_bus **out);
/* Open the bus at path (NULL: $SWARM_DIR), checked for owner, mode,
 * symlinks and its meta marker. */
SWARM_API int swarm_bus_open(const char *path, struct swarm_bus **out);
SWARM_API const char *swarm_bus_path(const struct swarm_bus *b);
/* Close; agents opened on b must be closed first. */
SWARM_API void swarm_bus_close(struct swarm_bus *b);
/* Remove every file of the bus and the directory, then close it. */
SWARM_API int swarm_bus_destroy(struct swarm_bus *b);

/* Become agent name (NULL: $SWARM_AGENT) on bus b (NULL: open $SWARM_DIR,
 * closed again with the agent). Its inbox is created if missing. */
SWARM_API int swarm_agent_open(struct swarm_bus *b, const char *name,
			       struct swarm_agent **out);
SWARM_API const char *swarm_agent_name(const struct swarm_agent *a);
SWARM_API void swarm_agent_close(struct swarm_agent *a);
/* $SWARM_PARENT, the agent that gave this one its task; NULL if unset. */
SWARM_API const char *swarm_parent(void);

/* Append one message of len bytes to the inbox of `to`: one locked write.
 * A send that returned 0 is stored and will be delivered. */
SWARM_API int swarm_send(struct swarm_agent *a, const char *to, uint32_t type,
			 const void *data, size_t len);
/* Like swarm_send, but if the inbox is full wait up to timeout_ms (-1:
 * forever) for room; -ETIMEDOUT if there is none by then. */
SWARM_API int swarm_send_wait(struct swarm_agent *a, const char *to, uint32_t type,
			      const void *data, size_t len, int timeout_ms);

/* The next message of a's inbox into *m, waiting up to timeout_ms for one
 * (0: do not wait, -1: forever). 1 = got one, 0 = none in time, or -errno
 * (-EBUSY: another process reads this inbox). The first call makes this
 * process the inbox's only reader. A SWARM_MSG_STOP is returned and left
 * in place, so every later call returns it again, as `swarm recv` does.
 * Messages stay unread until swarm_commit: a reader that dies before it
 * gets them again (at-least-once; duplicates by sequence are dropped). */
SWARM_API int swarm_recv(struct swarm_agent *a, struct swarm_msg *m, int timeout_ms);
/* Mark every message swarm_recv returned so far as read. */
SWARM_API int swarm_commit(struct swarm_agent *a);

#ifdef __cplusplus
}
#endif

#endif
