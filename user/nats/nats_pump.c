/* The NATS master's reader thread (nats_pump.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "nats_pump.h"

#define POLL_MS      50
#define QUIET_NS     1000000000ull   /* no event this long: ask the server */
#define GONE_MAX     64

struct nats_pump {
	struct nm_master *nm;
	pthread_t th;
	int started, efd;
	pthread_mutex_t mu;
	/* under mu */
	int stop, drain;
	struct pump_ev *head, *tail;
	char gone[GONE_MAX][NAME_MAX_LEN + 1];
	unsigned ngone;
};

void nats_history_reason(const struct ledger *led, uint32_t task,
			 const char *what, char *out, size_t len)
{
	char hist[256];

	if (!ledger_history(led, task, hist, sizeof(hist)))
		snprintf(hist, sizeof(hist), "none seen");
	/* Long histories are cut: the report keeps their start. */
	if (snprintf(out, len, "%s; deliveries: %s", what, hist) >= (int)len)
		out[len - 1] = 0;
}

static void ring(struct nats_pump *p)
{
	uint64_t one = 1;

	if (write(p->efd, &one, sizeof(one)) < 0) {
		/* saturated: the loop is already due to wake */
	}
}

/* A copy that outlives the next poll (ev->out is libnats' message). */
static void push(struct nats_pump *p, const struct nm_event *ev, const char *why)
{
	struct pump_ev *e = malloc(sizeof(*e) + ev->out_len);

	if (!e)
		return;   /* the task stays open: swept or timed out later */
	e->ev = *ev;
	e->next = NULL;
	e->why[0] = 0;
	if (why)
		snprintf(e->why, sizeof(e->why), "%s", why);
	if (ev->out_len) {
		memcpy(e + 1, ev->out, ev->out_len);
		e->ev.out = e + 1;
	} else {
		e->ev.out = NULL;
	}
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	pthread_mutex_unlock(&p->mu);
	ring(p);
}

static void push_event(struct nats_pump *p, const struct nm_event *ev)
{
	char why[256];

	if (ev->kind != NM_EV_FAILED) {
		push(p, ev, NULL);
		return;
	}
	nats_history_reason(nm_master_ledger(p->nm), ev->task, ev->reason, why,
			    sizeof(why));
	push(p, ev, why);
}

/* Nothing can be delivered any more, yet tasks are open: the server gave
 * them up and its advisory did not reach us (we were reconnecting). */
static void sweep_open(struct nats_pump *p)
{
	struct ledger *led = (struct ledger *)nm_master_ledger(p->nm);
	struct nm_event ev;
	uint32_t i;

	for (i = 0; i < led->n; i++) {
		if (led->t[i].state != LEDGER_OPEN)
			continue;
		ledger_exhausted(led, i, led->t[i].max_attempt);
		memset(&ev, 0, sizeof(ev));
		ev.kind = NM_EV_FAILED;
		ev.task = i;
		snprintf(ev.reason, sizeof(ev.reason), "no result and nothing left to deliver");
		push_event(p, &ev);
	}
}

static void hand_over_gone(struct nats_pump *p)
{
	char gone[GONE_MAX][NAME_MAX_LEN + 1];
	struct nm_event ev;
	unsigned i, n;

	pthread_mutex_lock(&p->mu);
	n = p->ngone;
	memcpy(gone, p->gone, n * sizeof(gone[0]));
	p->ngone = 0;
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < n; i++)
		if (nm_master_coord_gone(p->nm, gone[i], &ev) == 1)
			push_event(p, &ev);
}

static int stopping(struct nats_pump *p, int *drain)
{
	int s;

	pthread_mutex_lock(&p->mu);
	s = p->stop;
	*drain = p->drain;
	pthread_mutex_unlock(&p->mu);
	return s;
}

static void *pump_thread(void *arg)
{
	struct nats_pump *p = arg;
	uint64_t quiet_since = 0;
	struct nm_event ev;
	int drain = 0;

	while (!stopping(p, &drain)) {
		hand_over_gone(p);
		if (nm_master_poll(p->nm, POLL_MS, &ev) == 1) {
			push_event(p, &ev);
			quiet_since = 0;
			continue;
		}
		if (!quiet_since) {
			quiet_since = now_ns();
		} else if (now_ns() - quiet_since > QUIET_NS &&
			   ledger_open(nm_master_ledger(p->nm)) &&
			   nm_master_drained(p->nm) == 1) {
			/* One last look before calling them lost. */
			if (nm_master_poll(p->nm, 500, &ev) == 1) {
				push_event(p, &ev);
				quiet_since = 0;
				continue;
			}
			sweep_open(p);
		}
	}
	hand_over_gone(p);
	while (drain && nm_master_poll(p->nm, POLL_MS, &ev) == 1)
		push_event(p, &ev);
	return NULL;
}

int nats_pump_start(struct nm_master *nm, struct nats_pump **out)
{
	struct nats_pump *p = calloc(1, sizeof(*p));
	int err;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->nm = nm;
	pthread_mutex_init(&p->mu, NULL);
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = -pthread_create(&p->th, NULL, pump_thread, p);
	if (err)
		goto fail;
	p->started = 1;
	*out = p;
	return 0;
fail:
	if (p->efd >= 0)
		close(p->efd);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return err;
}

int nats_pump_fd(const struct nats_pump *p)
{
	return p->efd;
}

struct pump_ev *nats_pump_take(struct nats_pump *p)
{
	struct pump_ev *e;
	uint64_t junk;

	if (read(p->efd, &junk, sizeof(junk)) < 0) {
		/* EAGAIN: nothing was rung; the list may still hold events */
	}
	pthread_mutex_lock(&p->mu);
	e = p->head;
	p->head = p->tail = NULL;
	pthread_mutex_unlock(&p->mu);
	return e;
}

int nats_pump_coord_gone(struct nats_pump *p, const char *name)
{
	int err = 0;

	pthread_mutex_lock(&p->mu);
	if (p->ngone < GONE_MAX)
		snprintf(p->gone[p->ngone++], sizeof(p->gone[0]), "%s", name);
	else
		err = -ENOBUFS;   /* its tasks come back after AckWait */
	pthread_mutex_unlock(&p->mu);
	return err;
}

void nats_pump_stop(struct nats_pump *p, int drain)
{
	if (!p || !p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	p->drain = drain;
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	p->started = 0;
}

void nats_pump_free(struct nats_pump *p)
{
	struct pump_ev *e;

	if (!p)
		return;
	nats_pump_stop(p, 0);
	while ((e = p->head)) {
		p->head = e->next;
		free(e);
	}
	close(p->efd);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
