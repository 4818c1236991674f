/* NATS mesh, master side: the swarm's stream and consumers, task
 * publishing, and results / heartbeats / give-up advisories read back
 * into the ledger. Single-threaded: only pull and sync subscriptions. */
#ifdef HAVE_NATS
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nats_failover.h"
#include "nats_mesh_impl.h"

#define FIFO_MAX 256                /* messages taken per fetch round */

#define GIVEUP_GRACE_NS (500000000ull)
#define HB_STALL_NS     (1000000000ull)
#define FETCH_IDLE_MS   2          /* between empty fetch rounds (10 ms cost 18 % throughput) */

struct giveup { uint64_t due_ns; uint32_t task, deliveries; };
struct failed_pub { uint32_t task; uint32_t len; char *text; };

struct nm_master {
	struct nm_conn c;
	jsCtx *ajs;                 /* pipelined publishes, with pub_failed() */
	natsSubscription *results, *hb, *adv;
	natsSubscription *kern;     /* coordinators' kernel summaries */
	struct ledger led;
	struct failover fo;         /* who holds what; silent ones' hand-over */
	int link_up;                /* as last seen by failover_due() */
	uint64_t hb_read_ns;        /* the last fetch from the hb consumer */
	char ack_prefix[NAME_MAX_LEN + 32];  /* $JS.ACK.<stream>.tasks. */
	pthread_mutex_t mu;         /* failed: filled by a libnats thread */
	struct failed_pub *failed;
	size_t nfailed, capfailed;
	natsMsg *fifo[FIFO_MAX];    /* fetched, not yet turned into events */
	size_t fhead, ftail;
	natsMsg *cur;               /* backs ev->out until the next poll */
	struct giveup *gu;          /* advisories waiting out their grace */
	size_t ngu, capgu;
	int created;                /* the stream is ours: end it at close */
	int ended;                  /* the end notice went out */
};

static int async_ctx(struct nm_master *m);

static int add_consumer(struct nm_master *m, const char *durable,
			const char *filter, int64_t ack_wait, int64_t max_deliver)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.FilterSubject = filter;
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = ack_wait;
	cc.MaxDeliver = max_deliver;
	cc.MaxAckPending = 65536;
	cc.DeliverPolicy = js_DeliverAll;
	s = js_AddConsumer(&ci, m->c.js, m->c.stream, &cc, NULL, &jerr);
	jsConsumerInfo_Destroy(ci);
	return nm_err(s, jerr);
}

/* File storage, work-queue retention: a task leaves the stream when a
 * coordinator acks it; results and heartbeats when the master does. */
static int create_stream(struct nm_master *m)
{
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	const char *subj[1] = { m->c.subj_all };
	natsStatus s;
	int err;

	/* Adding a stream that exists with the same config succeeds, so ask
	 * first: another master's swarm of this id must be left alone. */
	s = js_GetStreamInfo(&si, m->c.js, m->c.stream, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	si = NULL;
	if (s == NATS_OK)
		return -EEXIST;
	err = nm_err(s, jerr);
	if (err != -ENOENT)
		return err;
	jerr = 0;
	jsStreamConfig_Init(&sc);
	sc.Name = m->c.stream;
	sc.Subjects = subj;
	sc.SubjectsLen = 1;
	sc.Retention = js_WorkQueuePolicy;
	sc.Storage = js_FileStorage;
	sc.Duplicates = (int64_t)NM_DUP_WINDOW_NS;
	sc.Replicas = 1;
	s = js_AddStream(&si, m->c.js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	err = nm_err(s, jerr);
	if (err)
		return err;
	m->created = 1;
	err = add_consumer(m, "tasks", m->c.subj_task, (int64_t)m->c.ack_wait_ns,
			   (int64_t)m->c.max_deliver);
	if (!err)
		err = add_consumer(m, "results", m->c.subj_result, 30000000000LL, -1);
	if (!err)
		err = add_consumer(m, "hb", m->c.subj_hb, 30000000000LL, -1);
	return err;
}

static int bind_pull(struct nm_master *m, const char *subj, const char *durable,
		     natsSubscription **sub)
{
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	jsSubOptions_Init(&so);
	so.Stream = m->c.stream;
	so.Consumer = durable;
	s = js_PullSubscribe(sub, m->c.js, subj, durable, NULL, &so, &jerr);
	return nm_err(s, jerr);
}

int nm_master_open(const struct nm_cfg *cfg, uint32_t ntasks,
		   struct nm_master **out)
{
	struct nm_master *m;
	char subj[256];
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	err = ledger_init(&m->led, ntasks);
	if (!err)
		err = fo_init(&m->fo, ntasks, cfg->failover_ns);
	if (err)
		goto fail;
	pthread_mutex_init(&m->mu, NULL);
	err = nm_conn_open(cfg, &m->c);
	if (err)
		goto fail;
	snprintf(m->ack_prefix, sizeof(m->ack_prefix), "$JS.ACK.%s.tasks.", m->c.stream);
	m->link_up = 1;
	fo_link_up(&m->fo, now_ns());
	err = async_ctx(m);
	if (err)
		goto fail;
	err = create_stream(m);
	if (err)
		goto fail;
	err = bind_pull(m, m->c.subj_result, "results", &m->results);
	if (!err)
		err = bind_pull(m, m->c.subj_hb, "hb", &m->hb);
	if (err)
		goto fail;
	/* The server's word that it gave up on a task (MaxDeliver reached). */
	snprintf(subj, sizeof(subj), "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.tasks",
		 m->c.stream);
	if (natsConnection_SubscribeSync(&m->adv, m->c.nc, subj) != NATS_OK ||
	    natsConnection_SubscribeSync(&m->kern, m->c.nc, m->c.subj_kernel) != NATS_OK) {
		err = -ENOTCONN;
		goto fail;
	}
	*out = m;
	return 0;
fail:
	nm_master_close(m, 1);    /* removes the stream only if we made it */
	return err;
}

/* Runs on a libnats thread: a pipelined publish the server refused or
 * never acknowledged. Kept (task and text) to be published again. */
static void pub_failed(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	struct nm_master *m = closure;
	const char *v = NULL;
	uint64_t id;
	int len = natsMsg_GetDataLength(pae->Msg);
	char *text;

	(void)js;
	if (natsMsgHeader_Get(pae->Msg, NM_HDR_TASK, &v) != NATS_OK || !v ||
	    parse_u64(v, &id) || id > UINT32_MAX || len < 0)
		return;
	text = malloc((size_t)len + 1);
	if (!text)
		return;
	memcpy(text, natsMsg_GetData(pae->Msg), (size_t)len);
	pthread_mutex_lock(&m->mu);
	if (m->nfailed == m->capfailed) {
		size_t cap = m->capfailed ? m->capfailed * 2 : 64;
		struct failed_pub *f = realloc(m->failed, cap * sizeof(*f));
		if (!f) {
			pthread_mutex_unlock(&m->mu);
			free(text);
			return;
		}
		m->failed = f;
		m->capfailed = cap;
	}
	m->failed[m->nfailed].task = (uint32_t)id;
	m->failed[m->nfailed].len = (uint32_t)len;
	m->failed[m->nfailed++].text = text;
	pthread_mutex_unlock(&m->mu);
}

static int async_ctx(struct nm_master *m)
{
	jsOptions jo;

	jsOptions_Init(&jo);
	jo.Wait = NM_API_WAIT_MS;
	jo.PublishAsync.MaxPending = 4096;
	jo.PublishAsync.ErrHandler = pub_failed;
	jo.PublishAsync.ErrHandlerClosure = m;
	return natsConnection_JetStream(&m->ajs, m->c.nc, &jo) == NATS_OK ? 0 : -ENOMEM;
}

/* Attempt 1: the master publishes each task once; a publish it retries
 * (server restart, lost ack) carries the same id and the server drops
 * the copy. */
static int task_msg(struct nm_master *m, uint32_t task, const void *text,
		    size_t len, natsMsg **out, char *id, size_t idlen)
{
	char tnum[16];

	snprintf(tnum, sizeof(tnum), "%u", task);
	snprintf(id, idlen, "%s:%u:1", m->c.swarm, task);
	if (natsMsg_Create(out, m->c.subj_task, NULL, text, (int)len) != NATS_OK)
		return -ENOMEM;
	if (natsMsgHeader_Set(*out, NM_HDR_TASK, tnum) != NATS_OK) {
		natsMsg_Destroy(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* One task, waiting for the stream to store it; retried until deadline. */
static int publish_sync(struct nm_master *m, uint32_t task, const void *text,
			size_t len, uint64_t deadline_ns)
{
	char id[NAME_MAX_LEN + 32];
	jsPubOptions po;
	jsErrCode jerr;
	natsMsg *msg = NULL;
	int err;

	err = task_msg(m, task, text, len, &msg, id, sizeof(id));
	if (err)
		return err;
	jsPubOptions_Init(&po);
	po.MsgId = id;
	po.MaxWait = NM_API_WAIT_MS;
	for (;;) {
		jerr = 0;
		err = nm_err(js_PublishMsg(NULL, m->c.js, msg, &po, &jerr), jerr);
		if (!err || err == -EINVAL || err == -ENOMEM || now_ns() >= deadline_ns)
			break;
		nm_sleep_ms(100);
	}
	natsMsg_Destroy(msg);
	return err;
}

int nm_master_publish(struct nm_master *m, uint32_t task, const void *text,
		      size_t len)
{
	char id[NAME_MAX_LEN + 32];
	jsPubOptions po;
	natsMsg *msg = NULL;
	natsStatus s;
	int err;

	if (task >= m->led.n || len > INT32_MAX)
		return -EINVAL;
	err = task_msg(m, task, text, len, &msg, id, sizeof(id));
	if (err)
		return err;
	jsPubOptions_Init(&po);
	po.MsgId = id;
	/* Pipelined: the server's acks come back on a libnats thread; too
	 * many in flight makes this call wait (StallWait), then try again. */
	while ((s = js_PublishMsgAsync(m->ajs, &msg, &po)) == NATS_TIMEOUT)
		;
	natsMsg_Destroy(msg);   /* no-op when the library took it */
	return nm_err(s, 0);
}

int nm_master_publish_wait(struct nm_master *m, uint64_t deadline_ns)
{
	struct failed_pub *f;
	natsMsgList pending = { 0 };
	jsPubOptions po;
	const char *v;
	uint64_t id;
	size_t n, i;
	int err = 0, k;

	jsPubOptions_Init(&po);
	for (;;) {
		int64_t left = (int64_t)(deadline_ns - now_ns()) / 1000000;

		po.MaxWait = left < 1 ? 1 : left > NM_API_WAIT_MS ? NM_API_WAIT_MS : left;
		if (js_PublishAsyncComplete(m->ajs, &po) == NATS_OK)
			break;
		if (now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		/* Not acknowledged in time (server restarting?): take them
		 * back and publish them one by one; the same Nats-Msg-Id
		 * makes a copy that did arrive harmless. */
		if (js_PublishAsyncGetPendingList(&pending, m->ajs) != NATS_OK)
			continue;
		for (k = 0; k < pending.Count && !err; k++) {
			v = NULL;
			if (natsMsgHeader_Get(pending.Msgs[k], NM_HDR_TASK, &v) == NATS_OK && v &&
			    !parse_u64(v, &id) && id < m->led.n)
				err = publish_sync(m, (uint32_t)id, natsMsg_GetData(pending.Msgs[k]),
						   (size_t)natsMsg_GetDataLength(pending.Msgs[k]),
						   deadline_ns);
		}
		natsMsgList_Destroy(&pending);
		if (err)
			return err;
	}
	pthread_mutex_lock(&m->mu);
	f = m->failed;
	n = m->nfailed;
	m->failed = NULL;
	m->nfailed = m->capfailed = 0;
	pthread_mutex_unlock(&m->mu);
	for (i = 0; i < n; i++) {
		if (!err)
			err = publish_sync(m, f[i].task, f[i].text, f[i].len, deadline_ns);
		free(f[i].text);
	}
	free(f);
	return err;
}

/* Which task a stream sequence holds: the server gave up on it, so it is
 * still in the stream (never acked). */
static int task_at(struct nm_master *m, uint64_t seq, uint32_t *task)
{
	natsMsg *msg = NULL;
	jsErrCode jerr = 0;
	uint64_t id;
	int err;

	err = nm_err(js_GetMsg(&msg, m->c.js, m->c.stream, seq, NULL, &jerr), jerr);
	if (err)
		return err;
	err = nm_hdr_u64(msg, NM_HDR_TASK, &id);
	natsMsg_Destroy(msg);
	if (err || id >= m->led.n)
		return -EBADMSG;
	*task = (uint32_t)id;
	return 0;
}

/* Take up to `room` messages of one fetch into the fifo. */
static int fetch_into(struct nm_master *m, natsSubscription *sub, int batch,
		      int timeout_ms)
{
	jsFetchRequest fr;
	natsMsgList list = { 0 };
	jsErrCode jerr = 0;
	natsStatus s;
	int i;

	/* Only NoWait requests: the server answers them at once. libnats
	 * 3.4 does not wait for that answer (0 ms without an Expires), and
	 * with an Expires the server holds the request until it expires (a
	 * 0.5 s stall per fetch, measured). Its replies all go to one inbox
	 * per subscription, so an answer that lands after libnats stopped
	 * waiting used to be taken as the answer to the next request, which
	 * returned at once, and so on for ever: the master spun at ~450
	 * fetches a second, a core's worth. The caller now pauses
	 * FETCH_IDLE_MS between empty rounds (nm_master_poll): answers land
	 * meanwhile, and the next fetch takes queued messages first and
	 * drops stale statuses. (timeout_ms: kept for the caller's budget.) */
	(void)timeout_ms;
	jsFetchRequest_Init(&fr);
	fr.Batch = batch;
	fr.NoWait = true;
	s = natsSubscription_FetchRequest(&list, sub, &fr);
	if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND)
		return 0;
	if (s != NATS_OK)
		return nm_err(s, jerr);
	for (i = 0; i < list.Count; i++) {
		m->fifo[m->ftail++ % FIFO_MAX] = list.Msgs[i];
		list.Msgs[i] = NULL;
	}
	natsMsgList_Destroy(&list);
	return i;
}

/* The advisory is JSON from the server; only "stream_seq" and
 * "deliveries" are needed, read as plain numbers after their keys. */
static int json_u64_after(const char *js, size_t len, const char *key, uint64_t *v)
{
	char buf[32];
	const char *p = memmem(js, len, key, strlen(key));
	size_t i = 0;

	if (!p)
		return -EBADMSG;
	p += strlen(key);
	while (p < js + len && (*p == '"' || *p == ':' || *p == ' '))
		p++;
	while (p < js + len && *p >= '0' && *p <= '9' && i < sizeof(buf) - 1)
		buf[i++] = *p++;
	buf[i] = 0;
	return i ? parse_u64(buf, v) : -EBADMSG;
}

/* The failure is reported GIVEUP_GRACE_NS after the advisory: the
 * server's advisory can overtake the heartbeat that lists the last
 * delivery, and the report should carry the whole history. */
static void on_advisory(struct nm_master *m, natsMsg *msg)
{
	const char *d = natsMsg_GetData(msg);
	size_t len = (size_t)natsMsg_GetDataLength(msg);
	uint64_t seq, deliveries;
	uint32_t task;

	if (!d || json_u64_after(d, len, "\"stream_seq\"", &seq) ||
	    json_u64_after(d, len, "\"deliveries\"", &deliveries) ||
	    task_at(m, seq, &task))
		return;
	if (m->ngu == m->capgu) {
		size_t cap = m->capgu ? m->capgu * 2 : 16;
		struct giveup *v = realloc(m->gu, cap * sizeof(*v));
		if (!v)
			return;  /* nm_master_drained() still finds it */
		m->gu = v;
		m->capgu = cap;
	}
	m->gu[m->ngu].due_ns = now_ns() + GIVEUP_GRACE_NS;
	m->gu[m->ngu].task = task;
	m->gu[m->ngu++].deliveries = deliveries > UINT32_MAX ? UINT32_MAX : (uint32_t)deliveries;
}

/* The oldest give-up whose grace is over, as an event; 1 if one. */
static int giveup_due(struct nm_master *m, struct nm_event *ev)
{
	struct giveup g;

	while (m->ngu && m->gu[0].due_ns <= now_ns()) {
		g = m->gu[0];
		memmove(m->gu, m->gu + 1, --m->ngu * sizeof(*m->gu));
		if (ledger_exhausted(&m->led, g.task, g.deliveries) != 1)
			continue;   /* its result came in meanwhile */
		fo_settled(&m->fo, g.task);
		memset(ev, 0, sizeof(*ev));
		ev->kind = NM_EV_FAILED;
		ev->task = g.task;
		ev->attempt = g.deliveries;
		snprintf(ev->reason, sizeof(ev->reason),
			 "no result after %u deliveries (MaxDeliver)", g.deliveries);
		return 1;
	}
	return 0;
}

/* A take's ack subject, from a coordinator's heartbeat: the master
 * publishes a NAK there if that coordinator dies, so it must be one of
 * this swarm's task deliveries, nothing else. */
static const char *valid_reply(const struct nm_master *m, const char *r)
{
	size_t i, plen = strlen(m->ack_prefix), len = strlen(r);

	if (len <= plen || len > FO_REPLY_MAX || strncmp(r, m->ack_prefix, plen))
		return NULL;
	for (i = plen; i < len; i++)
		if (!((r[i] >= '0' && r[i] <= '9') || r[i] == '.'))
			return NULL;
	return r;
}

/* "coord=c1 pid=12 host=h done=3 held=2 want=5\n<task>:<attempt>[ <ack subject>]\n..." */
static int on_heartbeat(struct nm_master *m, natsMsg *msg, struct nm_event *ev)
{
	const char *d = natsMsg_GetData(msg);
	int len = natsMsg_GetDataLength(msg);
	char *text, *line, *save = NULL, reply[FO_REPLY_MAX + 1];
	unsigned long long done = 0, held = 0, task, att;
	uint64_t now = now_ns();
	int pid = 0, n = 0, k;

	if (!d || len <= 0 || len > (1 << 20))
		return 0;
	text = strndup(d, (size_t)len);
	if (!text)
		return 0;
	memset(ev, 0, sizeof(*ev));
	line = strtok_r(text, "\n", &save);
	if (!line || sscanf(line, "coord=%64s pid=%d host=%64s done=%llu held=%llu want=%u",
			    ev->coord, &pid, ev->hb_host, &done, &held, &ev->hb_want) != 6 ||
	    name_valid(ev->coord)) {
		free(text);
		return 0;
	}
	ev->hb_returned = fo_heartbeat(&m->fo, ev->coord, now) == 1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		reply[0] = 0;
		k = sscanf(line, "%llu:%llu %255s", &task, &att, reply);
		if (k < 2 || task > UINT32_MAX || att > UINT32_MAX)
			continue;
		ledger_taken(&m->led, (uint32_t)task, (uint32_t)att, ev->coord), n++;
		if (task < m->led.n && m->led.t[task].state == LEDGER_OPEN)
			fo_taken(&m->fo, (uint32_t)task, (uint32_t)att, ev->coord,
				 k == 3 ? valid_reply(m, reply) : NULL, now);
	}
	free(text);
	ev->kind = NM_EV_HEARTBEAT;
	ev->hb_pid = pid;
	ev->hb_done = done;
	ev->hb_held = held;
	return 1;
}

static int on_result(struct nm_master *m, natsMsg *msg, struct nm_event *ev)
{
	uint64_t task, att, status, dur = 0, lat = 0, exitc = 0;
	const char *reason = NULL;

	memset(ev, 0, sizeof(*ev));
	/* Anything malformed is dropped (and acked, so it does not come
	 * back): a confused peer must not corrupt the run's accounting. */
	if (nm_hdr_u64(msg, NM_HDR_TASK, &task) || task >= m->led.n ||
	    nm_hdr_u64(msg, NM_HDR_ATTEMPT, &att) || !att || att > UINT32_MAX ||
	    nm_hdr_u64(msg, NM_HDR_STATUS, &status) || status > 255 ||
	    nm_hdr_name(msg, NM_HDR_COORD, ev->coord, 0) ||
	    nm_hdr_name(msg, NM_HDR_AGENT, ev->agent, 1))
		return 0;
	nm_hdr_u64(msg, NM_HDR_DUR, &dur);
	/* Absent from older coordinators; beyond an hour it is nonsense. */
	if (nm_hdr_u64(msg, NM_HDR_LAT, &lat) || lat > 3600ull * 1000000ull)
		lat = 0;
	/* exit codes travel as "exit+256" so a -signal stays unsigned */
	if (!nm_hdr_u64(msg, NM_HDR_EXIT, &exitc) && exitc <= 512)
		ev->exit_code = (int)exitc - 256;
	if (natsMsgHeader_Get(msg, NM_HDR_REASON, &reason) == NATS_OK && reason)
		snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	if (ledger_result(&m->led, (uint32_t)task, (uint32_t)att, ev->coord,
			  (int)status) != 1)
		return 0;
	fo_settled(&m->fo, (uint32_t)task);
	ev->kind = NM_EV_RESULT;
	ev->task = (uint32_t)task;
	ev->attempt = (uint32_t)att;
	ev->status = (int)status;
	ev->dur_us = dur;
	ev->lat_us = lat;
	ev->out = natsMsg_GetData(msg);
	ev->out_len = (uint32_t)natsMsg_GetDataLength(msg);
	return 1;
}

static int on_msg(struct nm_master *m, natsMsg *msg, struct nm_event *ev)
{
	const char *subj = natsMsg_GetSubject(msg);

	if (!strcmp(subj, m->c.subj_result))
		return on_result(m, msg, ev);
	if (!strcmp(subj, m->c.subj_hb))
		return on_heartbeat(m, msg, ev);
	on_advisory(m, msg);
	return 0;
}

/* Called with the fifo empty. Advisories are taken first but queued after
 * the heartbeats fetched next: a coordinator reports the deliveries it took
 * before it can nak or lose them, so every heartbeat an advisory depends on
 * is in the stream by the time the advisory exists, and the failure report
 * carries the whole history. Then results, waiting up to timeout_ms. */
static int fetch_round(struct nm_master *m, int timeout_ms)
{
	natsMsg *adv[FIFO_MAX / 4];
	int nadv = 0, n = 0, r, i;

	while (nadv < FIFO_MAX / 4 &&
	       natsSubscription_NextMsg(&adv[nadv], m->adv, 0) == NATS_OK)
		nadv++;
	r = fetch_into(m, m->hb, FIFO_MAX / 4, 0);
	if (r > 0)
		n += r;
	if (r >= 0) {
		/* We were not listening for a while (a slow API call, a
		 * stall): nobody counts as silent for that time. */
		if (m->hb_read_ns && now_ns() - m->hb_read_ns > HB_STALL_NS)
			fo_link_up(&m->fo, now_ns());
		m->hb_read_ns = now_ns();
	}
	for (i = 0; i < nadv; i++)
		m->fifo[m->ftail++ % FIFO_MAX] = adv[i];
	n += nadv;
	r = fetch_into(m, m->results, FIFO_MAX / 2, n ? 0 : timeout_ms);
	if (r < 0)
		return n ? n : r;
	return n + r;
}

static void nak_cb(void *arg, uint32_t task, const char *reply)
{
	struct nm_master *m = arg;

	(void)task;
	natsConnection_PublishString(m->c.nc, reply, "-NAK");
}

static void failover_event(struct nm_master *m, const char *coord, int n,
			   struct nm_event *ev)
{
	const struct fo_record *r = m->fo.nrec ? &m->fo.rec[m->fo.nrec - 1] : NULL;

	memset(ev, 0, sizeof(*ev));
	ev->kind = NM_EV_FAILOVER;
	snprintf(ev->coord, sizeof(ev->coord), "%s", coord);
	ev->hb_held = (uint64_t)n;
	if (r && !strcmp(r->coord, coord))
		ev->dur_us = (r->detect_ns - r->last_ns) / 1000;
}

/* A coordinator silent for too long while our own link is up: hand its
 * open tasks back (nats_failover.h); 1 with ev filled. Heartbeats that
 * came in are read first (the fifo is empty when this is called), so a
 * busy master does not mistake its own backlog for a silence. */
static int failover_due(struct nm_master *m, struct nm_event *ev)
{
	int up = natsConnection_Status(m->c.nc) == NATS_CONN_STATUS_CONNECTED;
	const char *name;
	char coord[NAME_MAX_LEN + 1];
	int n;

	if (up && !m->link_up)
		fo_link_up(&m->fo, now_ns());
	m->link_up = up;
	if (!up || !m->hb_read_ns || now_ns() - m->hb_read_ns > HB_STALL_NS ||
	    !(name = fo_next_silent(&m->fo, now_ns())))
		return 0;
	snprintf(coord, sizeof(coord), "%s", name);
	n = fo_declare_dead(&m->fo, coord, FO_SILENT, now_ns(), nak_cb, m);
	if (n <= 0)
		return 0;   /* it held nothing (left cleanly, or idle) */
	natsConnection_FlushTimeout(m->c.nc, 500);
	failover_event(m, coord, n, ev);
	return 1;
}

int nm_master_coord_gone(struct nm_master *m, const char *coord,
			 struct nm_event *ev)
{
	int n = fo_declare_dead(&m->fo, coord, FO_EXITED, now_ns(), nak_cb, m);

	if (n <= 0)
		return 0;
	natsConnection_FlushTimeout(m->c.nc, 500);
	failover_event(m, coord, n, ev);
	return 1;
}

const struct failover *nm_master_failover(const struct nm_master *m)
{
	return &m->fo;
}

int nm_master_poll(struct nm_master *m, int timeout_ms, struct nm_event *ev)
{
	uint64_t deadline = now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
	natsMsg *msg;
	int r, left;

	natsMsg_Destroy(m->cur);
	m->cur = NULL;
	for (;;) {
		if (giveup_due(m, ev))
			return 1;
		if (m->fhead == m->ftail && failover_due(m, ev))
			return 1;
		while (m->fhead != m->ftail) {
			msg = m->fifo[m->fhead++ % FIFO_MAX];
			r = on_msg(m, msg, ev);
			/* Acked once recorded: a result read twice (ack lost in a
			 * server restart) is a duplicate the ledger drops. */
			if (natsMsg_GetReply(msg))
				natsMsg_Ack(msg, NULL);
			if (r == 1 && ev->kind == NM_EV_RESULT) {
				m->cur = msg;
				return 1;
			}
			natsMsg_Destroy(msg);
			if (r == 1)
				return 1;
		}
		left = (int)((deadline > now_ns() ? deadline - now_ns() : 0) / 1000000ull);
		if (m->ngu && m->gu[0].due_ns > now_ns() &&
		    (m->gu[0].due_ns - now_ns()) / 1000000ull < (uint64_t)left)
			left = (int)((m->gu[0].due_ns - now_ns()) / 1000000ull) + 1;
		r = fetch_round(m, left);
		if (r < 0) {
			/* Server away: wait out the reconnect, within the budget. */
			if (left <= 0)
				return 0;
			nm_sleep_ms(left < 100 ? left : 100);
			continue;
		}
		if (r == 0 && now_ns() >= deadline)
			return 0;
		if (r == 0)
			nm_sleep_ms(left < FETCH_IDLE_MS ? (left > 0 ? left : 1) : FETCH_IDLE_MS);
	}
}

const struct ledger *nm_master_ledger(const struct nm_master *m)
{
	return &m->led;
}

int nm_master_drained(struct nm_master *m)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int r;

	s = js_GetConsumerInfo(&ci, m->c.js, m->c.stream, "tasks", NULL, &jerr);
	if (s != NATS_OK)
		return nm_err(s, jerr);
	r = ci->NumPending == 0 && ci->NumAckPending == 0;
	jsConsumerInfo_Destroy(ci);
	return r;
}

uint64_t nm_master_reconnects(const struct nm_master *m)
{
	return nm_conn_reconnects((struct nm_conn *)&m->c);
}

int nm_master_notice(struct nm_master *m, const char *word)
{
	natsStatus s;

	s = natsConnection_PublishString(m->c.nc, m->c.subj_end, word);
	if (s == NATS_OK)
		s = natsConnection_FlushTimeout(m->c.nc, 500);
	return s == NATS_OK ? 0 : nm_err(s, 0);
}

static void send_end(struct nm_master *m)
{
	if (m->ended || !m->created || !m->c.nc ||
	    natsConnection_Status(m->c.nc) != NATS_CONN_STATUS_CONNECTED)
		return;
	natsConnection_PublishString(m->c.nc, m->c.subj_end, "end");
	natsConnection_FlushTimeout(m->c.nc, 1000);
	m->ended = 1;
}

void nm_master_end(struct nm_master *m)
{
	send_end(m);
}

int nm_master_kernel(struct nm_master *m, int timeout_ms, char *coord,
		     char **json, size_t *len)
{
	const char *from = NULL, *data;
	natsMsg *msg = NULL;
	natsStatus s;
	int n, r = -EBADMSG;

	*json = NULL;
	s = natsSubscription_NextMsg(&msg, m->kern, timeout_ms > 0 ? timeout_ms : 1);
	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK)
		return nm_err(s, 0);
	data = natsMsg_GetData(msg);
	n = natsMsg_GetDataLength(msg);
	/* A peer's text goes into our report verbatim: only a named
	 * coordinator's one bounded JSON object. */
	if (natsMsgHeader_Get(msg, NM_HDR_COORD, &from) == NATS_OK && from &&
	    !name_valid(from) && data && n > 0 && (size_t)n <= NM_MAX_KERNEL &&
	    data[0] == '{' && !json_check(data, (size_t)n, 32) &&
	    (*json = malloc((size_t)n + 1))) {
		memcpy(*json, data, (size_t)n);
		(*json)[n] = 0;
		*len = (size_t)n;
		snprintf(coord, NAME_MAX_LEN + 1, "%s", from);
		r = 1;
	}
	natsMsg_Destroy(msg);
	return r;
}

void nm_master_close(struct nm_master *m, int remove_stream)
{
	if (!m)
		return;
	natsMsg_Destroy(m->cur);
	while (m->fhead != m->ftail)
		natsMsg_Destroy(m->fifo[m->fhead++ % FIFO_MAX]);
	/* The end notice goes out even when the stream is kept (--keep):
	 * the run is over either way. With the server away there is no one
	 * to tell; coordinators see the stream gone (or are stopped by their
	 * owner) later. */
	send_end(m);
	if (m->created && remove_stream && m->c.nc &&
	    natsConnection_Status(m->c.nc) == NATS_CONN_STATUS_CONNECTED)
		js_DeleteStream(m->c.js, m->c.stream, NULL, NULL);
	nm_conn_shut(&m->c);
	natsSubscription_Destroy(m->results);
	natsSubscription_Destroy(m->hb);
	natsSubscription_Destroy(m->adv);
	natsSubscription_Destroy(m->kern);
	nm_conn_close(&m->c);
	if (m->ajs)
		jsCtx_Destroy(m->ajs);
	ledger_free(&m->led);
	fo_free(&m->fo);
	free(m->gu);
	while (m->nfailed)
		free(m->failed[--m->nfailed].text);
	free(m->failed);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

#endif /* HAVE_NATS */
