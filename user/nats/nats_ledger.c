/* Per-task outcome and delivery history of a NATS run (see nats_ledger.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nats_ledger.h"

int ledger_init(struct ledger *l, uint32_t ntasks)
{
	memset(l, 0, sizeof(*l));
	l->t = calloc(ntasks ? ntasks : 1, sizeof(*l->t));
	l->coords = calloc(LEDGER_COORDS_MAX, sizeof(*l->coords));
	if (!l->t || !l->coords) {
		ledger_free(l);
		return -ENOMEM;
	}
	l->n = ntasks;
	return 0;
}

void ledger_free(struct ledger *l)
{
	free(l->t);
	free(l->coords);
	memset(l, 0, sizeof(*l));
}

/* Coordinator names are interned so a history entry stays 4 bytes. */
static int coord_index(struct ledger *l, const char *name)
{
	uint32_t i;

	if (name_valid(name))
		return -EINVAL;
	for (i = 0; i < l->ncoords; i++)
		if (!strcmp(l->coords[i], name))
			return (int)i;
	if (l->ncoords >= LEDGER_COORDS_MAX)
		return -ENOSPC;
	snprintf(l->coords[l->ncoords], sizeof(l->coords[0]), "%s", name);
	return (int)l->ncoords++;
}

static void hist_add(struct ledger_task *t, int coord, uint32_t attempt,
		     int what)
{
	uint8_t a = attempt > 255 ? 255 : (uint8_t)attempt;

	if (t->nhist >= LEDGER_HIST_MAX) {
		if (t->lost_hist < 255)
			t->lost_hist++;
		return;
	}
	t->hist[t->nhist].coord = (uint16_t)coord;
	t->hist[t->nhist].attempt = a;
	t->hist[t->nhist].what = (uint8_t)what;
	t->nhist++;
}

/* A task counts as redelivered once any delivery after the first shows. */
static void note_attempt(struct ledger *l, struct ledger_task *t,
			 uint32_t attempt)
{
	uint8_t a = attempt > 255 ? 255 : (uint8_t)attempt;

	if (a > 1 && t->max_attempt <= 1)
		l->redelivered_tasks++;
	if (a > t->max_attempt)
		t->max_attempt = a;
}

int ledger_taken(struct ledger *l, uint32_t task, uint32_t attempt,
		 const char *coord)
{
	struct ledger_task *t;
	int ci;

	if (task >= l->n || attempt == 0)
		return -EINVAL;
	ci = coord_index(l, coord);
	if (ci < 0)
		return ci;
	t = &l->t[task];
	note_attempt(l, t, attempt);
	hist_add(t, ci, attempt, LEDGER_TAKEN);
	return 0;
}

int ledger_result(struct ledger *l, uint32_t task, uint32_t attempt,
		  const char *coord, int status)
{
	struct ledger_task *t;
	int ci;

	if (task >= l->n || attempt == 0)
		return -EINVAL;
	ci = coord_index(l, coord);
	if (ci < 0)
		return ci;
	t = &l->t[task];
	note_attempt(l, t, attempt);
	if (t->state == LEDGER_DONE) {
		l->duplicates++;
		hist_add(t, ci, attempt, LEDGER_DUP);
		return 0;
	}
	if (t->state == LEDGER_EXHAUSTED)
		l->exhausted--;
	t->state = LEDGER_DONE;
	t->status = status;
	l->done++;
	hist_add(t, ci, attempt, LEDGER_RESULT);
	return 1;
}

int ledger_exhausted(struct ledger *l, uint32_t task, uint32_t deliveries)
{
	struct ledger_task *t;

	if (task >= l->n)
		return -EINVAL;
	t = &l->t[task];
	note_attempt(l, t, deliveries);
	if (t->state != LEDGER_OPEN)
		return 0;
	t->state = LEDGER_EXHAUSTED;
	l->exhausted++;
	return 1;
}

uint64_t ledger_open(const struct ledger *l)
{
	return l->n - l->done - l->exhausted;
}

size_t ledger_history(const struct ledger *l, uint32_t task, char *buf,
		      size_t cap)
{
	static const char *const what[] = { "", "", "=result", "=dup" };
	const struct ledger_task *t;
	size_t len = 0;
	unsigned i;
	int n;

	if (!cap)
		return 0;
	buf[0] = 0;
	if (task >= l->n)
		return 0;
	t = &l->t[task];
	for (i = 0; i < t->nhist && len < cap; i++) {
		n = snprintf(buf + len, cap - len, "%s%u@%s%s", i ? " " : "",
			     t->hist[i].attempt, l->coords[t->hist[i].coord],
			     what[t->hist[i].what]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (t->lost_hist && len < cap) {
		n = snprintf(buf + len, cap - len, " (+%u more)", t->lost_hist);
		if (n > 0)
			len += (size_t)n;
	}
	if (t->state == LEDGER_EXHAUSTED && len < cap) {
		n = snprintf(buf + len, cap - len, "%sgave up after %u deliveries",
			     len ? " " : "", t->max_attempt);
		if (n > 0)
			len += (size_t)n;
	}
	return len < cap ? len : cap - 1;
}
