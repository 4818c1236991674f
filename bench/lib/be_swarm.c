/* The swarm bus (libswarm) behind the benchmark interface. A sender that
 * meets a full inbox waits for room and retries: that is the bus's
 * backpressure contract, and the time it costs is part of the measure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "bus.h"

struct be_tx {
	struct bus *b;
	struct inbox *to, *from;
	struct bus_out *outs;
	size_t cap;
};

struct be_rx {
	struct bus *b;
	struct inbox *in;
	unsigned since_commit;
};

#define SPACE_WAIT_MS 1000
#define COMMIT_EVERY 256

static int sw_create(char *path, size_t cap)
{
	struct bus *b;
	int err = bus_create(NULL, NULL, NULL, &b);

	if (err)
		return err;
	snprintf(path, cap, "%s", bus_path(b));
	bus_close(b);
	return 0;
}

static int sw_destroy(const char *path)
{
	struct bus *b;
	int err = bus_open(path, &b);

	return err ? err : bus_destroy(b);
}

static int sw_inbox_make(const char *path, const char *name)
{
	struct bus *b;
	struct inbox *in;
	int err = bus_open(path, &b);

	if (err)
		return err;
	err = inbox_open(b, name, &in);
	if (!err)
		inbox_close(in);
	bus_close(b);
	return err;
}

static void sw_tx_close(struct be_tx *t)
{
	if (!t)
		return;
	if (t->to)
		inbox_close(t->to);
	if (t->from)
		inbox_close(t->from);
	if (t->b)
		bus_close(t->b);
	free(t->outs);
	free(t);
}

static int sw_tx_open(const char *path, const char *from, const char *to, struct be_tx **out)
{
	struct be_tx *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	err = bus_open(path, &t->b);
	if (!err)
		err = inbox_open(t->b, to, &t->to);
	if (!err)
		err = inbox_open(t->b, from, &t->from);
	if (err) {
		sw_tx_close(t);
		return err;
	}
	*out = t;
	return 0;
}

static int sw_send(struct be_tx *t, const void *data, uint32_t len)
{
	struct bus_out o = { .data = data, .len = len, .type = MSG_DATA };
	int err;

	while ((err = inbox_send(t->to, t->from, &o)) == -ENOBUFS)
		inbox_wait_space(t->to, len, SPACE_WAIT_MS);
	return err;
}

static int sw_send_batch(struct be_tx *t, const struct be_msg *m, size_t n)
{
	size_t i, bytes = 0;
	int err;

	if (n > t->cap) {
		struct bus_out *o = realloc(t->outs, n * sizeof(*o));
		if (!o)
			return -ENOMEM;
		t->outs = o;
		t->cap = n;
	}
	for (i = 0; i < n; i++) {
		t->outs[i] = (struct bus_out){ .data = m[i].data, .len = m[i].len, .type = MSG_DATA };
		bytes += m[i].len;
	}
	while ((err = inbox_send_batch(t->to, t->from, t->outs, n)) == -ENOBUFS)
		inbox_wait_space(t->to, bytes, SPACE_WAIT_MS);
	return err;
}

static void sw_rx_close(struct be_rx *r)
{
	if (!r)
		return;
	if (r->in) {
		inbox_commit(r->in);
		inbox_close(r->in);
	}
	if (r->b)
		bus_close(r->b);
	free(r);
}

static int sw_rx_open(const char *path, const char *name, struct be_rx **out)
{
	struct be_rx *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	err = bus_open(path, &r->b);
	if (!err)
		err = inbox_open(r->b, name, &r->in);
	if (!err)
		err = inbox_reader_begin(r->in);
	if (err) {
		sw_rx_close(r);
		return err;
	}
	*out = r;
	return 0;
}

static int sw_rx_commit(struct be_rx *r)
{
	r->since_commit = 0;
	return inbox_commit(r->in);
}

static int sw_rx_wait(struct be_rx *r, int timeout_ms)
{
	return inbox_wait(r->in, timeout_ms);
}

/* Commit in slices: the cursor must move for senders to get room, but a
 * commit per message would measure commits, not the bus. Commit before
 * the next read, never after one: a commit may unmap the segment the
 * message just returned lives in. */
static int sw_rx_next(struct be_rx *r, struct be_msg *m)
{
	struct bus_msg bm;
	int got;

	if (r->since_commit >= COMMIT_EVERY)
		sw_rx_commit(r);
	got = inbox_next(r->in, &bm);

	if (got <= 0) {
		if (got == 0 && r->since_commit)
			sw_rx_commit(r);
		return got;
	}
	m->data = bm.data;
	m->len = bm.len;
	r->since_commit++;
	return 1;
}

static uint64_t sw_disk_bytes(const char *path)
{
	struct bus *b;
	uint64_t n;

	if (bus_open(path, &b))
		return 0;
	n = bus_disk_bytes(b);
	bus_close(b);
	return n;
}

const struct backend be_swarm = {
	.name = "swarm",
	.create = sw_create,
	.destroy = sw_destroy,
	.tx_open = sw_tx_open,
	.send = sw_send,
	.send_batch = sw_send_batch,
	.tx_close = sw_tx_close,
	.inbox_make = sw_inbox_make,
	.rx_open = sw_rx_open,
	.rx_wait = sw_rx_wait,
	.rx_next = sw_rx_next,
	.rx_commit = sw_rx_commit,
	.rx_close = sw_rx_close,
	.disk_bytes = sw_disk_bytes,
};
