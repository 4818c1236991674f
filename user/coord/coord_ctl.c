/* pause / resume / status / top requests to a running master. A client
 * ("ctl-<pid>") sends MSG_CONTROL "pause", "resume", "status",
 * "status json" or "top <seq>" (user/top/top.h) to "master"; the master
 * answers MSG_CONTROL into the client's inbox. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord_master.h"
#include "json.h"
#include "top.h"

static void reply(struct master *m, const char *to, const char *text, size_t len)
{
	struct bus_out o = { .data = text, .type = MSG_CONTROL };
	struct inbox *in;

	if (len > BUS_MAX_PAYLOAD)
		len = BUS_MAX_PAYLOAD;
	o.len = (uint32_t)len;
	if (inbox_open(m->bus, to, &in))
		return;
	inbox_send(in, m->self, &o);
	inbox_close(in);
}

static void set_paused(struct master *m, int on)
{
	if (m->paused == on)
		return;
	m->topo->pause(m, on);
	if (on) {
		m->paused_at = now_ns();
	} else {
		/* Time spent frozen counts neither against --timeout nor
		 * against the heartbeat. */
		if (m->deadline)
			m->deadline += now_ns() - m->paused_at;
		m->topo->resumed(m);
	}
	m->paused = on;
}

static void status(struct master *m, FILE *f, int json)
{
	struct run_report *r = m->rep;
	struct jsonw w;

	if (!json) {
		fprintf(f, "swarm %s: pid %d, %s%s, %zu/%zu tasks done "
			"(%llu delivered, %llu failed), %.1f s\n", bus_id(m->bus),
			(int)getpid(), m->topo->name,
			m->paused ? " (PAUSED)" : "", m->done, m->tl.n,
			(unsigned long long)r->delivered,
			(unsigned long long)r->failed,
			(double)(now_ns() - m->t0) / 1e9);
		m->topo->status(m, f, NULL);
		return;
	}
	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "schema_version", 1);
	jsonw_int_field(&w, "pid", getpid());
	jsonw_string_field(&w, "topology", m->topo->name);
	jsonw_bool_field(&w, "paused", m->paused);
	jsonw_uint_field(&w, "expected", m->tl.n);
	jsonw_uint_field(&w, "done", m->done);
	jsonw_uint_field(&w, "delivered", r->delivered);
	jsonw_uint_field(&w, "failed", r->failed);
	jsonw_float_field(&w, "elapsed_s", "%.3f", (double)(now_ns() - m->t0) / 1e9);
	jsonw_name(&w, m->topo->members);
	jsonw_start_array(&w);
	m->topo->status(m, f, &w);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	jsonw_newline(&w);
	jsonw_finish(&w);
}

/* "top <seq>": seq is echoed so the client can drop late answers. */
static void top(struct master *m, const struct bus_msg *msg)
{
	char num[12], *end, *buf;
	unsigned long seq;
	int n;

	if (msg->len < 5 || msg->len - 4 >= sizeof(num)) {
		reply(m, msg->from, "error: bad top request\n", 23);
		return;
	}
	memcpy(num, (const char *)msg->data + 4, msg->len - 4);
	num[msg->len - 4] = '\0';
	errno = 0;
	seq = strtoul(num, &end, 10);
	if (errno || *end || num[0] < '0' || num[0] > '9' || seq > UINT32_MAX) {
		reply(m, msg->from, "error: bad top request\n", 23);
		return;
	}
	buf = malloc(TOP_SNAP_MAX);
	if (!buf)
		return;
	n = master_top(m, msg->from, (uint32_t)seq, buf, TOP_SNAP_MAX);
	if (n > 0)
		reply(m, msg->from, buf, (size_t)n);
	free(buf);
}

int ctl_on_msg(struct master *m, const struct bus_msg *msg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (strncmp(msg->from, "ctl-", 4) || msg->type != MSG_CONTROL)
		return 0;
	if (msg->len == 5 && !memcmp(msg->data, "pause", 5)) {
		set_paused(m, 1);
		reply(m, msg->from, "paused\n", 7);
	} else if (msg->len == 6 && !memcmp(msg->data, "resume", 6)) {
		set_paused(m, 0);
		reply(m, msg->from, "resumed\n", 8);
	} else if ((msg->len == 6 && !memcmp(msg->data, "status", 6)) ||
		   (msg->len == 11 && !memcmp(msg->data, "status json", 11))) {
		f = open_memstream(&text, &len);
		if (!f)
			return 1;
		status(m, f, msg->len == 11);
		fclose(f);
		reply(m, msg->from, text, len);
		free(text);
	} else if (msg->len > 4 && !memcmp(msg->data, "top ", 4)) {
		top(m, msg);
	} else {
		reply(m, msg->from, "error: unknown request\n", 23);
	}
	return 1;
}
