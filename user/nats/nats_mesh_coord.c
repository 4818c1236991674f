/* NATS mesh, coordinator side: two threads make every libnats call of
 * the process after the bind -- one fetches (and sends heartbeats and
 * in-progress notes), one publishes results and acks -- so a result never
 * waits for a fetch's long poll. The coordinator's epoll loop only sees an
 * eventfd and two queues: a slow or restarting server never blocks its
 * workers. */
#ifdef HAVE_NATS
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "nats_mesh_impl.h"

#define FETCH_MAX      256
#define FETCH_WAIT_MS  100      /* bounds how long a finished result waits */
#define HB_TAKES_MAX   (64u << 10)  /* a full fetch with ack subjects */
#define ENDED_AFTER_NS (2000000000ull) /* consumer missing this long = over */

enum { T_READY, T_GIVEN, T_DONE, T_RELEASE };

struct task_impl {
	struct nm_task pub;          /* what the caller sees; must be first */
	natsMsg *msg;                /* the delivery: ack / nak / in-progress */
	natsMsg *result;             /* built by nm_coord_done */
	char result_id[NAME_MAX_LEN + 48];
	uint64_t progress_ns;        /* last time the server's AckWait restarted */
	int state;
	struct task_impl *next;      /* held list: every task not yet finished */
	struct task_impl *rnext;     /* ready queue */
};

struct nm_coord {
	struct nm_conn c;
	natsSubscription *sub;
	natsSubscription *end;       /* swarm.<id>: the master's end notice */
	pthread_t th, th_settle;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	/* under mu */
	unsigned want, nheld;
	int stop, stop_fetch, link, fetch_joined;
	int paused;                  /* the master's last "pause" / "resume" */
	struct task_impl *held;
	struct task_impl *rhead, *rtail;
	unsigned pending_done;       /* T_DONE / T_RELEASE not yet settled */
	char takes[HB_TAKES_MAX];    /* "<task>:<attempt> <ack subject>\n"
	                                since the last hb */
	size_t takes_len;
	struct nm_coord_stats st;
	/* thread only */
	uint64_t next_hb_ns, missing_since_ns, next_check_ns;
	char host[NAME_MAX_LEN + 1];
};

static void signal_fd(struct nm_coord *c)
{
	uint64_t one = 1;

	if (write(c->efd, &one, sizeof(one)) < 0) {
		/* counter saturated: the reader is already due to wake */
	}
}

static void task_free(struct task_impl *t)
{
	natsMsg_Destroy(t->msg);
	natsMsg_Destroy(t->result);
	free((char *)t->pub.text);
	free(t);
}

/* Unlink t from the held list (under mu). */
static void held_remove(struct nm_coord *c, struct task_impl *t)
{
	struct task_impl **pp;

	for (pp = &c->held; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			c->nheld--;
			return;
		}
}

/* A delivery becomes a task; anything malformed is terminated (never
 * redelivered) rather than handed to a worker. */
static struct task_impl *task_from_msg(struct nm_coord *c, natsMsg *msg)
{
	jsMsgMetaData *meta = NULL;
	struct task_impl *t;
	uint64_t id;
	int len = natsMsg_GetDataLength(msg);

	if (nm_hdr_u64(msg, NM_HDR_TASK, &id) || id > UINT32_MAX || len < 0 ||
	    natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
		natsMsg_Term(msg, NULL);
		natsMsg_Destroy(msg);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->pub.text = strndup(len ? natsMsg_GetData(msg) : "", (size_t)len);
	if (!t || !t->pub.text) {
		if (t)
			free(t);
		jsMsgMetaData_Destroy(meta);
		natsMsg_Nak(msg, NULL);
		natsMsg_Destroy(msg);
		return NULL;
	}
	t->pub.task = (uint32_t)id;
	t->pub.attempt = meta->NumDelivered > UINT32_MAX ? UINT32_MAX : (uint32_t)meta->NumDelivered;
	t->pub.len = (uint32_t)len;
	t->msg = msg;
	t->progress_ns = now_ns();
	t->state = T_READY;
	jsMsgMetaData_Destroy(meta);
	(void)c;
	return t;
}

static void queue_taken(struct nm_coord *c, struct task_impl *t)
{
	int n;

	pthread_mutex_lock(&c->mu);
	t->next = c->held;
	c->held = t;
	c->nheld++;
	if (c->rtail)
		c->rtail->rnext = t;
	else
		c->rhead = t;
	c->rtail = t;
	c->st.taken++;
	if (t->pub.attempt > 1)
		c->st.redeliveries++;
	/* The ack subject lets the master hand the task back (NAK) if we
	 * die with it (nats_failover.h). */
	n = snprintf(c->takes + c->takes_len, sizeof(c->takes) - c->takes_len,
		     "%u:%u %s\n", t->pub.task, t->pub.attempt,
		     natsMsg_GetReply(t->msg) ? natsMsg_GetReply(t->msg) : "-");
	if (n > 0 && (size_t)n < sizeof(c->takes) - c->takes_len)
		c->takes_len += (size_t)n;
	pthread_mutex_unlock(&c->mu);
}

/* Is the swarm over (its consumer deleted by the master)? Only after it
 * has been missing for a while: a restarting server may not have
 * recovered its streams on the first answer. */
static void check_ended(struct nm_coord *c)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	s = js_GetConsumerInfo(&ci, c->c.js, c->c.stream, "tasks", NULL, &jerr);
	jsConsumerInfo_Destroy(ci);
	if (nm_err(s, jerr) != -ENOENT) {
		c->missing_since_ns = 0;
		return;
	}
	if (!c->missing_since_ns)
		c->missing_since_ns = now_ns();
	else if (now_ns() - c->missing_since_ns >= ENDED_AFTER_NS) {
		pthread_mutex_lock(&c->mu);
		c->link = NM_LINK_ENDED;
		pthread_mutex_unlock(&c->mu);
		signal_fd(c);
	}
}

static void heartbeat(struct nm_coord *c);

static void do_fetch(struct nm_coord *c, unsigned need)
{
	jsFetchRequest fr;
	natsMsgList list = { 0 };
	natsStatus s;
	int i, got = 0;

	/* libnats' Fetch waits for a full batch or the expiry: take what is
	 * there now (NoWait); only when nothing is, wait for a single task.
	 * The NoWait request still needs an Expires: without one libnats
	 * waits 0 ms for the answer, returns empty-handed, and the tasks the
	 * server sends a moment later sit unseen in the subscription's queue
	 * -- delivered to us, never reported to the master, orphaned until
	 * AckWait if we die, and ageing towards it meanwhile. */
	jsFetchRequest_Init(&fr);
	fr.Batch = (int)(need > FETCH_MAX ? FETCH_MAX : need);
	fr.NoWait = true;
	fr.Expires = (int64_t)FETCH_WAIT_MS * 1000000LL;
	s = natsSubscription_FetchRequest(&list, c->sub, &fr);
	if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND ||
	    (s == NATS_OK && list.Count == 0)) {
		natsMsgList_Destroy(&list);
		jsFetchRequest_Init(&fr);
		fr.Batch = 1;
		fr.Expires = (int64_t)FETCH_WAIT_MS * 1000000LL;
		s = natsSubscription_FetchRequest(&list, c->sub, &fr);
		if (s == NATS_NOT_FOUND)
			s = NATS_TIMEOUT;
	}
	if (s != NATS_OK) {
		/* An idle fetch times out whether or not the consumer still
		 * exists, so ask now and then; other errors: ask now. */
		if (s != NATS_TIMEOUT || now_ns() >= c->next_check_ns) {
			c->next_check_ns = now_ns() + 500000000ull;
			check_ended(c);
		}
		if (s != NATS_TIMEOUT)
			nm_sleep_ms(50);
		return;
	}
	c->missing_since_ns = 0;
	for (i = 0; i < list.Count; i++) {
		struct task_impl *t = task_from_msg(c, list.Msgs[i]);

		list.Msgs[i] = NULL;
		if (t) {
			queue_taken(c, t);
			got++;
		}
	}
	natsMsgList_Destroy(&list);
	if (got) {
		/* Report the takes before any of them can be settled: the
		 * master's delivery history depends on this order. */
		c->next_hb_ns = 0;
		heartbeat(c);
		signal_fd(c);
	}
}

/* Result first, stored by the stream (PubAck), then the ack: a crash in
 * between only makes the task run again, never lost. */
static int settle_done(struct nm_coord *c, struct task_impl *t)
{
	jsPubOptions po;
	jsErrCode jerr = 0;
	natsStatus s;

	if (t->state == T_RELEASE) {
		natsMsg_Nak(t->msg, NULL);
		return 0;
	}
	jsPubOptions_Init(&po);
	po.MsgId = t->result_id;
	po.MaxWait = NM_API_WAIT_MS;
	s = js_PublishMsg(NULL, c->c.js, t->result, &po, &jerr);
	if (s != NATS_OK)
		return nm_err(s, jerr);
	natsMsg_Ack(t->msg, NULL);
	return 0;
}

/* Settle finished tasks one at a time, oldest first; stop at the first
 * failure (server away) and retry on the next round. */
static void settle_all(struct nm_coord *c)
{
	struct task_impl *t;
	int err;

	for (;;) {
		pthread_mutex_lock(&c->mu);
		for (t = c->held; t && t->state != T_DONE && t->state != T_RELEASE; t = t->next)
			;
		if (t && c->link == NM_LINK_ENDED) {
			/* The run is over: nobody reads results any more. */
			held_remove(c, t);
			c->pending_done--;
			pthread_mutex_unlock(&c->mu);
			task_free(t);
			continue;
		}
		pthread_mutex_unlock(&c->mu);
		if (!t)
			return;
		err = settle_done(c, t);
		pthread_mutex_lock(&c->mu);
		if (err) {
			c->st.publish_retries++;
			pthread_mutex_unlock(&c->mu);
			nm_sleep_ms(100);
			return;
		}
		if (t->state == T_DONE)
			c->st.done++;
		else
			c->st.released++;
		held_remove(c, t);
		c->pending_done--;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		task_free(t);
	}
}

/* Long tasks: restart the server's AckWait well before it runs out. */
static void keep_alive(struct nm_coord *c)
{
	uint64_t now = now_ns(), every = c->c.ack_wait_ns / 3;
	struct task_impl *t;

	pthread_mutex_lock(&c->mu);
	for (t = c->held; t; t = t->next)
		/* T_DONE / T_RELEASE belong to the settle thread now: no
		 * second thread on the same delivery. */
		if ((t->state == T_READY || t->state == T_GIVEN) &&
		    now - t->progress_ns >= every &&
		    natsMsg_InProgress(t->msg, NULL) == NATS_OK)
			t->progress_ns = now;
	pthread_mutex_unlock(&c->mu);
}

static void heartbeat(struct nm_coord *c)
{
	char *buf;
	int n;

	if (now_ns() < c->next_hb_ns)
		return;
	buf = malloc(HB_TAKES_MAX + 256);
	if (!buf)
		return;
	pthread_mutex_lock(&c->mu);
	n = snprintf(buf, 256, "coord=%s pid=%d host=%s done=%llu held=%u want=%u\n",
		     c->c.name, (int)getpid(), c->host,
		     (unsigned long long)c->st.done, c->nheld, c->want);
	memcpy(buf + n, c->takes, c->takes_len);
	n += (int)c->takes_len;
	c->takes_len = 0;
	pthread_mutex_unlock(&c->mu);
	/* Plain publish: the stream stores it; no need to wait for a PubAck
	 * of a liveness note. */
	natsConnection_Publish(c->c.nc, c->c.subj_hb, buf, n);
	free(buf);
	c->next_hb_ns = now_ns() + c->c.heartbeat_ns;
}

/* The master's notices (core NATS on swarm.<id>, outside the stream):
 * "pause" and "resume" (swarm pause / resume), anything else ends the run
 * -- the quick way to learn it is over; the stream's removal is the sure
 * one (check_ended). 1 when the run ended. */
static int end_notice(struct nm_coord *c)
{
	natsMsg *m = NULL;
	const char *d;
	int len, paused = -1;

	if (!c->end || natsSubscription_NextMsg(&m, c->end, 0) != NATS_OK)
		return 0;
	d = natsMsg_GetData(m);
	len = natsMsg_GetDataLength(m);
	if (d && len == 5 && !memcmp(d, "pause", 5))
		paused = 1;
	else if (d && len == 6 && !memcmp(d, "resume", 6))
		paused = 0;
	natsMsg_Destroy(m);
	pthread_mutex_lock(&c->mu);
	if (paused >= 0)
		c->paused = paused;
	else
		c->link = NM_LINK_ENDED;
	pthread_mutex_unlock(&c->mu);
	signal_fd(c);
	return paused < 0;
}

static void timed_wait(struct nm_coord *c, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

/* Thread 1: fetch, heartbeat, in-progress, link state. */
static void *coord_thread(void *arg)
{
	struct nm_coord *c = arg;
	unsigned need;
	int link;

	for (;;) {
		pthread_mutex_lock(&c->mu);
		if (c->stop_fetch) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		link = natsConnection_Status(c->c.nc) == NATS_CONN_STATUS_CONNECTED ?
			NM_LINK_UP : NM_LINK_DOWN;
		if (c->link != NM_LINK_ENDED && c->link != link) {
			c->link = link;
			signal_fd(c);
		}
		link = c->link;
		need = c->want > c->nheld ? c->want - c->nheld : 0;
		pthread_mutex_unlock(&c->mu);

		if (link != NM_LINK_ENDED && end_notice(c))
			continue;
		if (link == NM_LINK_ENDED) {
			pthread_mutex_lock(&c->mu);
			if (!c->stop_fetch)
				pthread_cond_wait(&c->cv, &c->mu);
			pthread_mutex_unlock(&c->mu);
			continue;
		}
		keep_alive(c);
		heartbeat(c);
		if (need && link == NM_LINK_UP) {
			do_fetch(c, need);
		} else {
			pthread_mutex_lock(&c->mu);
			if (!c->stop_fetch)
				timed_wait(c, FETCH_WAIT_MS);
			pthread_mutex_unlock(&c->mu);
		}
	}
	return NULL;
}

/* Thread 2: results out and acks, as soon as they are handed over (the
 * fetch thread may sit in a long poll meanwhile). */
static void *settle_thread(void *arg)
{
	struct nm_coord *c = arg;

	for (;;) {
		settle_all(c);
		pthread_mutex_lock(&c->mu);
		if (c->stop) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		if (!c->pending_done)
			timed_wait(c, FETCH_WAIT_MS);
		pthread_mutex_unlock(&c->mu);
	}
	settle_all(c);
	return NULL;
}

/* AckWait is the master's choice, set on the consumer: in-progress notes
 * must come well within it. */
static void learn_ack_wait(struct nm_coord *c)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;

	if (js_GetConsumerInfo(&ci, c->c.js, c->c.stream, "tasks", NULL, &jerr) == NATS_OK &&
	    ci->Config && ci->Config->AckWait > 0)
		c->c.ack_wait_ns = (uint64_t)ci->Config->AckWait;
	jsConsumerInfo_Destroy(ci);
}

/* The master may not have created the swarm yet: keep trying to bind. */
static int bind_tasks(struct nm_coord *c)
{
	uint64_t deadline = now_ns() + c->c.connect_ns;
	jsSubOptions so;
	jsErrCode jerr;
	natsStatus s;
	int err;

	for (;;) {
		jsSubOptions_Init(&so);
		so.Stream = c->c.stream;
		so.Consumer = "tasks";
		jerr = 0;
		s = js_PullSubscribe(&c->sub, c->c.js, c->c.subj_task, "tasks", NULL, &so, &jerr);
		err = nm_err(s, jerr);
		if (!err) {
			learn_ack_wait(c);
			return 0;
		}
		if (nm_stop_pending())
			return -EINTR;   /* stopped while waiting for the master */
		if (now_ns() >= deadline)
			return err;
		nm_sleep_ms(200);
	}
}

int nm_coord_open(const struct nm_cfg *cfg, struct nm_coord **out)
{
	struct nm_coord *c;
	int err;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->efd = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (gethostname(c->host, sizeof(c->host) - 1) || name_valid(c->host))
		snprintf(c->host, sizeof(c->host), "unknown");
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = nm_conn_open(cfg, &c->c);
	if (!err && natsConnection_SubscribeSync(&c->end, c->c.nc, c->c.subj_end) != NATS_OK)
		err = -ENOTCONN;
	if (!err)
		err = bind_tasks(c);
	if (err)
		goto fail;
	err = -pthread_create(&c->th, NULL, coord_thread, c);
	if (err)
		goto fail;
	err = -pthread_create(&c->th_settle, NULL, settle_thread, c);
	if (err) {
		pthread_mutex_lock(&c->mu);
		c->stop = c->stop_fetch = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->th, NULL);
		goto fail;
	}
	c->started = 1;
	*out = c;
	return 0;
fail:
	nm_coord_close(c);
	return err;
}

int nm_coord_fd(const struct nm_coord *c)
{
	return c->efd;
}

void nm_coord_want(struct nm_coord *c, unsigned n)
{
	pthread_mutex_lock(&c->mu);
	c->want = n;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int nm_coord_take(struct nm_coord *c, struct nm_task **out)
{
	struct task_impl *t;

	pthread_mutex_lock(&c->mu);
	t = c->rhead;
	if (t) {
		c->rhead = t->rnext;
		if (!c->rhead)
			c->rtail = NULL;
		t->rnext = NULL;
		t->state = T_GIVEN;
	}
	pthread_mutex_unlock(&c->mu);
	*out = t ? &t->pub : NULL;
	return t != NULL;
}

static int build_result(struct nm_coord *c, struct task_impl *t,
			const struct nm_result *r)
{
	char num[32];
	size_t len = r->out_len > NM_MAX_OUTPUT ? NM_MAX_OUTPUT : r->out_len;
	natsMsg *m = NULL;
	int ok;

	if (natsMsg_Create(&m, c->c.subj_result, NULL, len ? r->out : NULL, (int)len) != NATS_OK)
		return -ENOMEM;
	snprintf(num, sizeof(num), "%u", t->pub.task);
	ok = natsMsgHeader_Set(m, NM_HDR_TASK, num) == NATS_OK;
	snprintf(num, sizeof(num), "%u", t->pub.attempt);
	ok = ok && natsMsgHeader_Set(m, NM_HDR_ATTEMPT, num) == NATS_OK;
	ok = ok && natsMsgHeader_Set(m, NM_HDR_COORD, c->c.name) == NATS_OK;
	snprintf(num, sizeof(num), "%d", r->status < 0 ? 0 : r->status > 255 ? 255 : r->status);
	ok = ok && natsMsgHeader_Set(m, NM_HDR_STATUS, num) == NATS_OK;
	snprintf(num, sizeof(num), "%d", r->exit_code < -256 ? 0 :
		 r->exit_code > 256 ? 512 : r->exit_code + 256);
	ok = ok && natsMsgHeader_Set(m, NM_HDR_EXIT, num) == NATS_OK;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->dur_us);
	ok = ok && natsMsgHeader_Set(m, NM_HDR_DUR, num) == NATS_OK;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->lat_us);
	ok = ok && natsMsgHeader_Set(m, NM_HDR_LAT, num) == NATS_OK;
	if (ok && r->agent && !name_valid(r->agent))
		ok = natsMsgHeader_Set(m, NM_HDR_AGENT, r->agent) == NATS_OK;
	if (ok && r->reason && *r->reason && !strpbrk(r->reason, "\r\n"))
		ok = natsMsgHeader_Set(m, NM_HDR_REASON, r->reason) == NATS_OK;
	if (!ok) {
		natsMsg_Destroy(m);
		return -ENOMEM;
	}
	t->result = m;
	snprintf(t->result_id, sizeof(t->result_id), "%s:%u:%u:result",
		 c->c.swarm, t->pub.task, t->pub.attempt);
	return 0;
}

int nm_coord_done(struct nm_coord *c, struct nm_task *pt,
		  const struct nm_result *r)
{
	struct task_impl *t = (struct task_impl *)pt;
	int err;

	err = build_result(c, t, r);
	if (err) {
		nm_coord_release(c, pt);
		return err;
	}
	pthread_mutex_lock(&c->mu);
	t->state = T_DONE;
	c->pending_done++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

void nm_coord_release(struct nm_coord *c, struct nm_task *pt)
{
	struct task_impl *t = (struct task_impl *)pt;

	pthread_mutex_lock(&c->mu);
	t->state = T_RELEASE;
	c->pending_done++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int nm_coord_send_kernel(struct nm_coord *c, const char *json, size_t len)
{
	natsMsg *m = NULL;
	natsStatus s;

	if (len > NM_MAX_KERNEL)
		return -EMSGSIZE;
	s = natsMsg_Create(&m, c->c.subj_kernel, NULL, json, (int)len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, NM_HDR_COORD, c->c.name);
	if (s == NATS_OK)
		s = natsConnection_PublishMsg(c->c.nc, m);
	if (s == NATS_OK)
		s = natsConnection_FlushTimeout(c->c.nc, 1000);
	natsMsg_Destroy(m);
	return s == NATS_OK ? 0 : nm_err(s, 0);
}

int nm_coord_paused(const struct nm_coord *c)
{
	int p;

	pthread_mutex_lock((pthread_mutex_t *)&c->mu);
	p = c->paused;
	pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
	return p;
}

int nm_coord_link(const struct nm_coord *c)
{
	int l;

	pthread_mutex_lock((pthread_mutex_t *)&c->mu);
	l = c->link;
	pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
	return l;
}

void nm_coord_get_stats(const struct nm_coord *c, struct nm_coord_stats *st)
{
	pthread_mutex_lock((pthread_mutex_t *)&c->mu);
	*st = c->st;
	st->held = c->nheld;
	pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
	st->reconnects = nm_conn_reconnects((struct nm_conn *)&c->c);
}

int nm_coord_flush(struct nm_coord *c, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int left;

	pthread_mutex_lock(&c->mu);
	while (c->pending_done && now_ns() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	left = (int)c->pending_done;
	pthread_mutex_unlock(&c->mu);
	return left ? -ETIMEDOUT : 0;
}

/* Mark every task in `states` as to be given back (under mu). */
static void release_all(struct nm_coord *c, int given_too)
{
	struct task_impl *t;

	for (t = c->held; t; t = t->next)
		if (t->state == T_READY || (given_too && t->state == T_GIVEN)) {
			t->state = T_RELEASE;
			c->pending_done++;
		}
	c->rhead = c->rtail = NULL;
	pthread_cond_broadcast(&c->cv);
}

/* A pull request can be answered after libnats stopped waiting for it:
 * the task then sits in the subscription's queue, delivered to us but
 * never seen, until AckWait. Take such stragglers so they are given back.
 * Only what is queued here is fetched (batch = queued count, NoWait). */
static void drain_stranded(struct nm_coord *c)
{
	jsFetchRequest fr;
	natsMsgList list = { 0 };
	int msgs = 0, bytes = 0, i;

	if (natsSubscription_GetPending(c->sub, &msgs, &bytes) != NATS_OK || msgs <= 0)
		return;
	jsFetchRequest_Init(&fr);
	fr.Batch = msgs;
	fr.NoWait = true;
	if (natsSubscription_FetchRequest(&list, c->sub, &fr) != NATS_OK)
		return;
	for (i = 0; i < list.Count; i++) {
		struct task_impl *t = task_from_msg(c, list.Msgs[i]);

		list.Msgs[i] = NULL;
		if (t)
			queue_taken(c, t);
	}
	natsMsgList_Destroy(&list);
}

void nm_coord_quiesce(struct nm_coord *c)
{
	if (!c || !c->started || c->fetch_joined)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop_fetch = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	/* Its fetch in flight (at most FETCH_WAIT_MS) ends first, so what it
	 * brings is given back below instead of stranded until AckWait. */
	pthread_join(c->th, NULL);
	c->fetch_joined = 1;
	drain_stranded(c);
	pthread_mutex_lock(&c->mu);
	release_all(c, 0);
	pthread_mutex_unlock(&c->mu);
}

void nm_coord_close(struct nm_coord *c)
{
	struct task_impl *t;

	if (!c)
		return;
	if (c->started) {
		/* Give back what was never finished, so others take it now
		 * rather than after AckWait. */
		nm_coord_quiesce(c);
		pthread_mutex_lock(&c->mu);
		release_all(c, 1);
		pthread_mutex_unlock(&c->mu);
		nm_coord_flush(c, 2000);
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->th_settle, NULL);
	}
	while ((t = c->held)) {
		c->held = t->next;
		task_free(t);
	}
	nm_conn_shut(&c->c);
	if (c->sub)
		natsSubscription_Destroy(c->sub);
	if (c->end)
		natsSubscription_Destroy(c->end);
	nm_conn_close(&c->c);
	if (c->efd >= 0)
		close(c->efd);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

#endif /* HAVE_NATS */
