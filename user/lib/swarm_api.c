/* libswarm's public API (include/swarm/swarm.h): a thin layer over the
 * internal bus (user/bus/bus.h). It owns nothing the bus does not: names
 * and handles are translated, errors pass through as negative errnos. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/swarm.h"
#include "bus.h"
#include "cli.h"
#include "swarm.h"

/* The public numbers are the wire and exit numbers: they must not drift. */
_Static_assert((int)SWARM_MSG_DATA == (int)MSG_DATA && (int)SWARM_MSG_TASK == (int)MSG_TASK &&
	       (int)SWARM_MSG_RESULT == (int)MSG_RESULT && (int)SWARM_MSG_HEARTBEAT == (int)MSG_HEARTBEAT &&
	       (int)SWARM_MSG_STOP == (int)MSG_STOP && (int)SWARM_MSG_FAIL == (int)MSG_FAIL &&
	       (int)SWARM_MSG_CONTROL == (int)MSG_CONTROL, "message types");
_Static_assert((int)SWARM_EXIT_OK == (int)EXIT_OK && (int)SWARM_EXIT_JOB == (int)EXIT_JOB &&
	       (int)SWARM_EXIT_USAGE == (int)EXIT_USAGE && (int)SWARM_EXIT_ENV == (int)EXIT_ENV &&
	       (int)SWARM_EXIT_FULL == (int)EXIT_FULL && (int)SWARM_EXIT_STOP == (int)EXIT_STOP &&
	       (int)SWARM_EXIT_TIMEOUT == (int)EXIT_TIMEOUT, "exit codes");
_Static_assert(SWARM_NAME_MAX == NAME_MAX_LEN && SWARM_MAX_PAYLOAD == BUS_MAX_PAYLOAD,
	       "limits");

struct swarm_bus {
	struct bus *bus;
};

struct swarm_agent {
	struct swarm_bus *sb;
	int own_bus;           /* opened from $SWARM_DIR by swarm_agent_open */
	int reading;           /* reader lock taken (first swarm_recv) */
	struct inbox *self;
	/* Agents mostly answer one peer (their parent): keep its inbox open. */
	struct inbox *peer;
	char peer_name[SWARM_NAME_MAX + 1];
};

const char *swarm_version(void)
{
	return SWARM_VERSION;
}

const char *swarm_strerror(int err)
{
	return bus_strerror(err);
}

int swarm_exit_code(int err)
{
	return exit_code_for(err);
}

int swarm_bus_create(const char *base, const char *id, struct swarm_bus **out)
{
	struct swarm_bus *sb;
	int err;

	if (!out)
		return -EINVAL;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	err = bus_create(base, id, NULL, &sb->bus);
	if (err) {
		free(sb);
		return err;
	}
	*out = sb;
	return 0;
}

int swarm_bus_open(const char *path, struct swarm_bus **out)
{
	struct swarm_bus *sb;
	int err;

	if (!out)
		return -EINVAL;
	if (!path)
		path = getenv("SWARM_DIR");
	if (!path || !*path)
		return -ENOENT;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	err = bus_open(path, &sb->bus);
	if (err) {
		free(sb);
		return err;
	}
	*out = sb;
	return 0;
}

const char *swarm_bus_path(const struct swarm_bus *b)
{
	return b ? bus_path(b->bus) : NULL;
}

void swarm_bus_close(struct swarm_bus *b)
{
	if (!b)
		return;
	bus_close(b->bus);
	free(b);
}

int swarm_bus_destroy(struct swarm_bus *b)
{
	int err;

	if (!b)
		return -EINVAL;
	err = bus_destroy(b->bus);
	free(b);
	return err;
}

int swarm_agent_open(struct swarm_bus *b, const char *name, struct swarm_agent **out)
{
	struct swarm_agent *a;
	int err;

	if (!out)
		return -EINVAL;
	if (!name)
		name = getenv("SWARM_AGENT");
	if (!name || name_valid(name))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->sb = b;
	if (!b) {
		err = swarm_bus_open(NULL, &a->sb);
		if (err)
			goto fail;
		a->own_bus = 1;
	}
	err = inbox_open(a->sb->bus, name, &a->self);
	if (err)
		goto fail;
	*out = a;
	return 0;
fail:
	if (a->own_bus)
		swarm_bus_close(a->sb);
	free(a);
	return err;
}

const char *swarm_agent_name(const struct swarm_agent *a)
{
	return a ? inbox_name(a->self) : NULL;
}

void swarm_agent_close(struct swarm_agent *a)
{
	if (!a)
		return;
	if (a->peer)
		inbox_close(a->peer);
	inbox_close(a->self);
	if (a->own_bus)
		swarm_bus_close(a->sb);
	free(a);
}

const char *swarm_parent(void)
{
	const char *p = getenv("SWARM_PARENT");

	return p && *p ? p : NULL;
}

/* The inbox of `to`, kept open while the agent keeps talking to it. */
static int peer_inbox(struct swarm_agent *a, const char *to, struct inbox **out)
{
	struct inbox *in;
	int err;

	if (!to || name_valid(to))
		return -EINVAL;
	if (a->peer && !strcmp(a->peer_name, to)) {
		*out = a->peer;
		return 0;
	}
	err = inbox_open(a->sb->bus, to, &in);
	if (err)
		return err;
	if (a->peer)
		inbox_close(a->peer);
	a->peer = in;
	snprintf(a->peer_name, sizeof(a->peer_name), "%s", to);
	*out = in;
	return 0;
}

int swarm_send_wait(struct swarm_agent *a, const char *to, uint32_t type,
		    const void *data, size_t len, int timeout_ms)
{
	struct bus_out m = { .data = data, .type = type };
	struct inbox *dst;
	int err;

	if (!a || (len && !data) || type > MSG_TYPE_MAX)
		return -EINVAL;
	if (len > SWARM_MAX_PAYLOAD)
		return -EMSGSIZE;
	m.len = (uint32_t)len;
	if (!m.data)
		m.data = "";
	err = peer_inbox(a, to, &dst);
	if (err)
		return err;
	for (;;) {
		err = inbox_send(dst, a->self, &m);
		if (err != -ENOBUFS || timeout_ms == 0)
			return err;
		err = inbox_wait_space(dst, len, timeout_ms);
		if (err)
			return err;
	}
}

int swarm_send(struct swarm_agent *a, const char *to, uint32_t type,
	       const void *data, size_t len)
{
	return swarm_send_wait(a, to, type, data, len, 0);
}

int swarm_recv(struct swarm_agent *a, struct swarm_msg *m, int timeout_ms)
{
	uint64_t deadline = 0;
	struct bus_msg bm;
	int r;

	if (!a || !m)
		return -EINVAL;
	if (!a->reading) {
		r = inbox_reader_begin(a->self);
		if (r)
			return r;
		a->reading = 1;
	}
	if (timeout_ms > 0)
		deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		uint64_t now;

		r = inbox_next(a->self, &bm);
		if (r < 0)
			return r;
		if (r > 0)
			break;
		if (timeout_ms == 0)
			return 0;
		now = now_ns();
		if (timeout_ms > 0 && now >= deadline)
			return 0;
		r = inbox_wait(a->self, timeout_ms < 0 ? -1
				: (int)((deadline - now + 999999) / 1000000));
		if (r < 0)
			return r;
	}
	if (bm.type == MSG_STOP)
		inbox_unread(a->self);  /* sticky: every later recv sees it too */
	memcpy(m->from, bm.from, sizeof(m->from));
	m->seq = bm.seq;
	m->ts_ns = bm.ts_ns;
	m->type = bm.type;
	m->len = bm.len;
	m->data = bm.data;
	return 1;
}

int swarm_commit(struct swarm_agent *a)
{
	if (!a)
		return -EINVAL;
	return a->reading ? inbox_commit(a->self) : 0;
}
