/* NATS mesh: URL checks, error text, the shared connection; and the
 * stand-ins that say "no NATS" when the build has no libnats. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nats_mesh.h"
#include "nats_mesh_impl.h"

#define NM_MAX_SERVERS 16

int nm_is_url(const char *s)
{
	return s && (!strncmp(s, "nats://", 7) || !strncmp(s, "tls://", 6));
}

/* One "nats://[user[:pass]@]host[:port]" element of length len. */
static int url_one_valid(const char *s, size_t len)
{
	const char *p, *end = s + len, *at, *host, *colon = NULL;
	uint64_t port = 0;

	if (!strncmp(s, "nats://", 7))
		p = s + 7;
	else if (!strncmp(s, "tls://", 6))
		p = s + 6;
	else
		return -EINVAL;
	at = memchr(p, '@', (size_t)(end - p));
	/* user:pass goes to libnats as it is: no blanks, control or
	 * non-ASCII bytes (a newline there is a typo or an injection). */
	for (; at && p < at; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -EINVAL;
	host = at ? at + 1 : p;
	if (host >= end)
		return -EINVAL;
	if (*host == '[') {                     /* [v6addr]:port */
		const char *rb = memchr(host, ']', (size_t)(end - host));
		if (!rb || rb == host + 1)
			return -EINVAL;
		for (p = host + 1; p < rb; p++)
			if (!strchr("0123456789abcdefABCDEF:.", *p))
				return -EINVAL;
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
	} else {
		for (p = host; p < end && *p != ':'; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p))
				return -EINVAL;
		if (p == host)
			return -EINVAL;
		colon = p < end ? p : NULL;
	}
	if (!colon)
		return 0;
	if (colon + 1 >= end || end - colon > 6)
		return -EINVAL;
	for (p = colon + 1; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		port = port * 10 + (uint64_t)(*p - '0');
	}
	return port >= 1 && port <= 65535 ? 0 : -EINVAL;
}

int nm_url_valid(const char *url)
{
	const char *p, *comma;
	int n = 0;

	if (!url || !*url || strlen(url) >= NM_URL_MAX)
		return -EINVAL;
	for (p = url; ; p = comma + 1) {
		comma = strchr(p, ',');
		if (url_one_valid(p, comma ? (size_t)(comma - p) : strlen(p)))
			return -EINVAL;
		if (++n > NM_MAX_SERVERS)
			return -EINVAL;
		if (!comma)
			return 0;
	}
}

const char *nm_strerror(int err)
{
	switch (-err) {
	case ENOTSUP: return NM_NO_SUPPORT_MSG;
	case ENOTCONN: return "the NATS server is not reachable";
	case ETIMEDOUT: return "the NATS server did not answer in time";
	case ENOENT: return "no such swarm on the NATS server (stream or consumer missing)";
	case EEXIST: return "a stream for this swarm id already exists on the NATS server";
	case EPROTO: return "the NATS server refused the request (is JetStream enabled? run nats-server -js)";
	case EBADMSG: return "malformed message from the NATS mesh";
	case EINVAL: return "invalid NATS URL or swarm name";
	default: return strerror(-err);
	}
}

int nm_stop_pending(void)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
	sigset_t set;
	size_t i;

	/* Blocked by the caller (coord_block_signals) until its loop reads
	 * them: still pending while we wait here, and left so. */
	if (sigpending(&set))
		return 0;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (sigismember(&set, stops[i]))
			return stops[i];
	return 0;
}

#ifndef HAVE_NATS

int nm_available(void) { return 0; }
void nm_library_close(void) { }
int nm_master_open(const struct nm_cfg *cfg, uint32_t ntasks, struct nm_master **out)
{ (void)cfg; (void)ntasks; *out = NULL; return -ENOTSUP; }
int nm_master_publish(struct nm_master *m, uint32_t task, const void *text,
		      size_t len)
{ (void)m; (void)task; (void)text; (void)len; return -ENOTSUP; }
int nm_master_publish_wait(struct nm_master *m, uint64_t deadline_ns)
{ (void)m; (void)deadline_ns; return -ENOTSUP; }
int nm_master_poll(struct nm_master *m, int timeout_ms, struct nm_event *ev)
{ (void)m; (void)timeout_ms; (void)ev; return -ENOTSUP; }
const struct ledger *nm_master_ledger(const struct nm_master *m) { (void)m; return NULL; }
int nm_master_coord_gone(struct nm_master *m, const char *coord, struct nm_event *ev)
{ (void)m; (void)coord; (void)ev; return 0; }
const struct failover *nm_master_failover(const struct nm_master *m) { (void)m; return NULL; }
int nm_master_drained(struct nm_master *m) { (void)m; return -ENOTSUP; }
uint64_t nm_master_reconnects(const struct nm_master *m) { (void)m; return 0; }
void nm_master_close(struct nm_master *m, int remove_stream) { (void)m; (void)remove_stream; }
int nm_coord_open(const struct nm_cfg *cfg, struct nm_coord **out)
{ (void)cfg; *out = NULL; return -ENOTSUP; }
int nm_coord_fd(const struct nm_coord *c) { (void)c; return -1; }
void nm_coord_want(struct nm_coord *c, unsigned n) { (void)c; (void)n; }
int nm_coord_take(struct nm_coord *c, struct nm_task **t) { (void)c; *t = NULL; return 0; }
int nm_coord_done(struct nm_coord *c, struct nm_task *t, const struct nm_result *r)
{ (void)c; (void)t; (void)r; return -ENOTSUP; }
void nm_coord_release(struct nm_coord *c, struct nm_task *t) { (void)c; (void)t; }
int nm_coord_link(const struct nm_coord *c) { (void)c; return NM_LINK_ENDED; }
int nm_coord_paused(const struct nm_coord *c) { (void)c; return 0; }
int nm_coord_send_kernel(struct nm_coord *c, const char *json, size_t len)
{ (void)c; (void)json; (void)len; return -ENOTSUP; }
void nm_master_end(struct nm_master *m) { (void)m; }
int nm_master_kernel(struct nm_master *m, int timeout_ms, char *coord,
		     char **json, size_t *len)
{ (void)m; (void)timeout_ms; (void)coord; *json = NULL; (void)len; return -ENOTSUP; }
int nm_master_notice(struct nm_master *m, const char *word)
{ (void)m; (void)word; return -ENOTSUP; }
void nm_coord_get_stats(const struct nm_coord *c, struct nm_coord_stats *st)
{ (void)c; memset(st, 0, sizeof(*st)); }
int nm_coord_flush(struct nm_coord *c, int timeout_ms) { (void)c; (void)timeout_ms; return 0; }
void nm_coord_quiesce(struct nm_coord *c) { (void)c; }
void nm_coord_close(struct nm_coord *c) { (void)c; }

#else /* HAVE_NATS */

int nm_available(void) { return 1; }

void nm_library_close(void)
{
	nats_CloseAndWait(2000);
}

void nm_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int nm_err(natsStatus s, jsErrCode jerr)
{
	switch ((int)jerr) {
	case 0: break;
	case JSStreamNotFoundErr: case JSConsumerNotFoundErr: return -ENOENT;
	case JSStreamNameExistErr: return -EEXIST;
	case JSNotEnabledErr: case JSNotEnabledForAccountErr: return -EPROTO;
	default: return -EPROTO;
	}
	switch (s) {
	case NATS_OK: return 0;
	case NATS_TIMEOUT: return -ETIMEDOUT;
	case NATS_NOT_FOUND: return -ENOENT;
	case NATS_NO_MEMORY: return -ENOMEM;
	case NATS_INVALID_ARG: case NATS_INVALID_SUBJECT: case NATS_ADDRESS_MISSING:
		return -EINVAL;
	case NATS_NO_SERVER: case NATS_CONNECTION_CLOSED: case NATS_CONNECTION_DISCONNECTED:
	case NATS_STALE_CONNECTION: case NATS_IO_ERROR: case NATS_NOT_YET_CONNECTED:
		return -ENOTCONN;
	/* Nobody answers the JetStream API: JetStream off, or (during a
	 * restart) not back yet. */
	case NATS_NO_RESPONDERS: return -ENOTCONN;
	default: return -EIO;
	}
}

static int set_servers(natsOptions *o, const char *url)
{
	char buf[NM_URL_MAX], *list[NM_MAX_SERVERS], *p, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", url);
	for (p = strtok_r(buf, ",", &save); p && n < NM_MAX_SERVERS;
	     p = strtok_r(NULL, ",", &save))
		list[n++] = p;
	return natsOptions_SetServers(o, (const char **)list, n) == NATS_OK ? 0 : -EINVAL;
}

/* Reconnect for ever (the run's own --timeout bounds it), quickly, and
 * send every protocol line at once: an ack or heartbeat sitting in the
 * flusher's buffer is an ack the server has not seen. */
static int make_opts(const struct nm_cfg *cfg, natsOptions **out)
{
	natsOptions *o = NULL;
	int err = -ENOMEM;

	if (natsOptions_Create(&o) != NATS_OK)
		return -ENOMEM;
	err = set_servers(o, cfg->url);
	if (err)
		goto fail;
	if (natsOptions_SetName(o, cfg->name) != NATS_OK ||
	    natsOptions_SetAllowReconnect(o, true) != NATS_OK ||
	    natsOptions_SetMaxReconnect(o, -1) != NATS_OK ||
	    natsOptions_SetReconnectWait(o, 200) != NATS_OK ||
	    natsOptions_SetTimeout(o, 2000) != NATS_OK ||
	    natsOptions_SetPingInterval(o, 2000) != NATS_OK ||
	    natsOptions_SetMaxPingsOut(o, 2) != NATS_OK ||
	    natsOptions_SetSendAsap(o, true) != NATS_OK) {
		err = -EINVAL;
		goto fail;
	}
	*out = o;
	return 0;
fail:
	natsOptions_Destroy(o);
	return err;
}

static int fill_names(const struct nm_cfg *cfg, struct nm_conn *c)
{
	if (nm_url_valid(cfg->url) || name_valid(cfg->swarm) || name_valid(cfg->name))
		return -EINVAL;
	snprintf(c->swarm, sizeof(c->swarm), "%s", cfg->swarm);
	snprintf(c->name, sizeof(c->name), "%s", cfg->name);
	snprintf(c->stream, sizeof(c->stream), "SWARM_%s", cfg->swarm);
	snprintf(c->subj_all, sizeof(c->subj_all), "swarm.%s.>", cfg->swarm);
	snprintf(c->subj_task, sizeof(c->subj_task), "swarm.%s.task", cfg->swarm);
	snprintf(c->subj_result, sizeof(c->subj_result), "swarm.%s.result", cfg->swarm);
	snprintf(c->subj_hb, sizeof(c->subj_hb), "swarm.%s.hb", cfg->swarm);
	snprintf(c->subj_end, sizeof(c->subj_end), "swarm.%s", cfg->swarm);
	snprintf(c->subj_kernel, sizeof(c->subj_kernel), "swarm-kernel.%s", cfg->swarm);
	c->ack_wait_ns = cfg->ack_wait_ns ? cfg->ack_wait_ns : NM_DEF_ACK_WAIT_NS;
	c->max_deliver = cfg->max_deliver ? cfg->max_deliver : NM_DEF_MAX_DELIVER;
	c->connect_ns = cfg->connect_ns ? cfg->connect_ns : NM_DEF_CONNECT_NS;
	c->heartbeat_ns = cfg->heartbeat_ns ? cfg->heartbeat_ns : 1000000000ull;
	return 0;
}

int nm_conn_open(const struct nm_cfg *cfg, struct nm_conn *c)
{
	natsOptions *o = NULL;
	jsOptions jo;
	uint64_t deadline;
	natsStatus s;
	int err;

	memset(c, 0, sizeof(*c));
	err = fill_names(cfg, c);
	if (err)
		return err;
	err = make_opts(cfg, &o);
	if (err)
		return err;
	deadline = now_ns() + c->connect_ns;
	/* The server may be starting (or restarting) right now. */
	while ((s = natsConnection_Connect(&c->nc, o)) != NATS_OK) {
		if (now_ns() >= deadline || nm_stop_pending()) {
			err = nm_stop_pending() ? -EINTR : nm_err(s, 0);
			goto out;
		}
		nm_sleep_ms(200);
	}
	jsOptions_Init(&jo);
	jo.Wait = NM_API_WAIT_MS;
	if (natsConnection_JetStream(&c->js, c->nc, &jo) != NATS_OK) {
		err = -ENOMEM;
		goto out;
	}
	err = 0;
out:
	natsOptions_Destroy(o);
	if (err)
		nm_conn_close(c);
	return err;
}

/* Stop the read loop before any subscription is destroyed: the libnats
 * in Debian 12 (3.4.1) can deliver a message to a subscription that another
 * thread is destroying, then lock its freed mutex (nats.c #637, fixed
 * upstream in 3.6) -- seen here as a rare SIGSEGV in pthread_mutex_trylock
 * or a hang at exit. Closing is idempotent; nm_conn_close closes again. */
void nm_conn_shut(struct nm_conn *c)
{
	if (c->nc)
		natsConnection_Close(c->nc);
}

void nm_conn_close(struct nm_conn *c)
{
	if (c->js)
		jsCtx_Destroy(c->js);
	if (c->nc) {
		natsConnection_Close(c->nc);
		natsConnection_Destroy(c->nc);
	}
	c->js = NULL;
	c->nc = NULL;
}

uint64_t nm_conn_reconnects(struct nm_conn *c)
{
	natsStatistics *st = NULL;
	uint64_t rc = 0;

	if (natsStatistics_Create(&st) != NATS_OK)
		return 0;
	if (natsConnection_GetStats(c->nc, st) == NATS_OK)
		natsStatistics_GetCounts(st, NULL, NULL, NULL, NULL, &rc);
	natsStatistics_Destroy(st);
	return rc;
}

int nm_hdr_u64(natsMsg *m, const char *key, uint64_t *out)
{
	const char *v = NULL;

	if (natsMsgHeader_Get(m, key, &v) != NATS_OK || !v || parse_u64(v, out))
		return -EBADMSG;
	return 0;
}

int nm_hdr_name(natsMsg *m, const char *key, char *out, int optional)
{
	const char *v = NULL;

	out[0] = 0;
	if (natsMsgHeader_Get(m, key, &v) != NATS_OK || !v || !*v)
		return optional ? 0 : -EBADMSG;
	if (name_valid(v))
		return -EBADMSG;
	snprintf(out, NAME_MAX_LEN + 1, "%s", v);
	return 0;
}

#endif /* HAVE_NATS */
