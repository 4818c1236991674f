/* Coordinator failover across hosts: bookkeeping (nats_failover.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nats_failover.h"

int fo_init(struct failover *f, uint32_t ntasks, uint64_t silence_ns)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->silence_ns = silence_ns ? silence_ns : FO_DEF_SILENCE_NS;
	f->t = calloc(ntasks ? ntasks : 1, sizeof(*f->t));
	if (!f->t)
		return -ENOMEM;
	f->n = ntasks;
	for (i = 0; i < ntasks; i++)
		f->t[i].coord = f->t[i].rec = -1;
	return 0;
}

void fo_free(struct failover *f)
{
	uint32_t i;

	for (i = 0; f->t && i < f->n; i++)
		free(f->t[i].reply);
	free(f->t);
	free(f->c);
	memset(f, 0, sizeof(*f));
}

static int32_t coord_find(const struct failover *f, const char *name)
{
	uint32_t i;

	for (i = 0; i < f->nc; i++)
		if (!strcmp(f->c[i].name, name))
			return (int32_t)i;
	return -1;
}

/* The index of coord, added (alive, heard of at now) if new. */
static int32_t coord_get(struct failover *f, const char *name, uint64_t now)
{
	int32_t i = coord_find(f, name);

	if (i >= 0)
		return i;
	if (name_valid(name))
		return -EINVAL;
	if (f->nc == f->capc) {
		uint32_t cap = f->capc ? f->capc * 2 : 16;
		struct fo_coord *v;

		if (f->nc >= FO_COORDS_MAX)
			return -ENOSPC;
		v = realloc(f->c, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->c = v;
		f->capc = cap;
	}
	memset(&f->c[f->nc], 0, sizeof(f->c[f->nc]));
	snprintf(f->c[f->nc].name, sizeof(f->c[f->nc].name), "%s", name);
	f->c[f->nc].last_ns = now;
	return (int32_t)f->nc++;
}

static void mark_returned(struct failover *f, const char *name)
{
	uint32_t i;

	for (i = f->nrec; i-- > 0;)
		if (!strcmp(f->rec[i].coord, name)) {
			f->rec[i].returned = 1;
			return;
		}
}

int fo_heartbeat(struct failover *f, const char *coord, uint64_t now)
{
	int32_t i = coord_get(f, coord, now);

	if (i < 0)
		return i;
	if (now > f->c[i].last_ns)
		f->c[i].last_ns = now;
	if (!f->c[i].dead)
		return 0;
	f->c[i].dead = 0;
	mark_returned(f, coord);
	return 1;
}

int fo_taken(struct failover *f, uint32_t task, uint32_t attempt,
	     const char *coord, const char *reply, uint64_t now)
{
	struct fo_task *t;
	int32_t ci;

	if (task >= f->n)
		return -EINVAL;
	ci = coord_get(f, coord, now);
	if (ci < 0)
		return ci;
	t = &f->t[task];
	/* Heartbeats of different coordinators can arrive out of order:
	 * only a later delivery replaces the one we know. */
	if (attempt < t->attempt)
		return 0;
	if (t->rec >= 0 && attempt > t->attempt) {
		struct fo_record *r = &f->rec[t->rec];

		r->retaken++;
		r->retaken_ns = now;
		t->rec = -1;
	}
	free(t->reply);
	t->reply = NULL;
	if (reply && *reply && strlen(reply) <= FO_REPLY_MAX) {
		t->reply = strdup(reply);
		if (!t->reply)
			return -ENOMEM;
	}
	t->attempt = attempt;
	t->coord = ci;
	return 0;
}

void fo_settled(struct failover *f, uint32_t task)
{
	struct fo_task *t;

	if (task >= f->n)
		return;
	t = &f->t[task];
	free(t->reply);
	t->reply = NULL;
	t->coord = -1;
	/* A task handed back and then finished (by anyone) counts as
	 * retaken: its outcome is what the hand-over was for. */
	if (t->rec >= 0) {
		f->rec[t->rec].retaken++;
		t->rec = -1;
	}
}

void fo_link_up(struct failover *f, uint64_t now)
{
	f->link_since_ns = now;
}

const char *fo_next_silent(const struct failover *f, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < f->nc; i++) {
		uint64_t heard = f->c[i].last_ns > f->link_since_ns ?
				 f->c[i].last_ns : f->link_since_ns;

		if (!f->c[i].dead && now > heard && now - heard > f->silence_ns)
			return f->c[i].name;
	}
	return NULL;
}

int fo_declare_dead(struct failover *f, const char *coord, int cause,
		    uint64_t now,
		    void (*nak)(void *arg, uint32_t task, const char *reply),
		    void *arg)
{
	struct fo_record *r = NULL;
	int32_t ci = coord_find(f, coord);
	uint32_t i, n = 0;

	if (ci < 0)
		return -ENOENT;
	if (f->c[ci].dead)
		return 0;
	f->c[ci].dead = 1;
	f->failovers++;
	if (f->nrec < FO_RECORDS_MAX) {
		r = &f->rec[f->nrec];
		memset(r, 0, sizeof(*r));
		snprintf(r->coord, sizeof(r->coord), "%s", coord);
		r->cause = cause;
		r->last_ns = f->c[ci].last_ns;
		r->detect_ns = now;
	}
	for (i = 0; i < f->n; i++) {
		struct fo_task *t = &f->t[i];

		if (t->coord != ci || !t->reply)
			continue;
		nak(arg, i, t->reply);
		/* The NAK answers this delivery once: a second one would
		 * send back a task someone else may hold by then. */
		free(t->reply);
		t->reply = NULL;
		t->rec = r ? (int32_t)f->nrec : -1;
		n++;
	}
	if (r) {
		r->tasks = n;
		f->nrec++;
	}
	return (int)n;
}

static double ms(uint64_t a, uint64_t b)
{
	return a > b ? (double)(a - b) / 1e6 : 0;
}

static const char *cause_name(int cause)
{
	return cause == FO_EXITED ? "exited" : "silent";
}

void fo_json(const struct failover *f, struct jsonw *w)
{
	uint32_t i;

	jsonw_name(w, "failover");
	jsonw_start_object(w);
	jsonw_float_field(w, "after_s", "%.3f", (double)f->silence_ns / 1e9);
	jsonw_uint_field(w, "count", f->failovers);
	jsonw_name(w, "events");
	jsonw_start_array(w);
	for (i = 0; i < f->nrec; i++) {
		const struct fo_record *r = &f->rec[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "coordinator", r->coord);
		jsonw_string_field(w, "cause", cause_name(r->cause));
		jsonw_float_field(w, "detect_ms", "%.1f", ms(r->detect_ns, r->last_ns));
		jsonw_uint_field(w, "tasks", r->tasks);
		jsonw_uint_field(w, "retaken", r->retaken);
		if (r->tasks && r->retaken >= r->tasks && r->retaken_ns)
			jsonw_float_field(w, "reassign_ms", "%.1f",
					  ms(r->retaken_ns, r->last_ns));
		else
			jsonw_null_field(w, "reassign_ms");
		jsonw_bool_field(w, "returned", r->returned);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

void fo_text(const struct failover *f, FILE *out)
{
	uint32_t i;

	for (i = 0; i < f->nrec; i++) {
		const struct fo_record *r = &f->rec[i];

		fprintf(out, "    failover %s (%s): declared dead %.0f ms after its last word, "
			"%u open tasks handed back, %u taken again",
			r->coord, cause_name(r->cause), ms(r->detect_ns, r->last_ns),
			r->tasks, r->retaken);
		if (r->tasks && r->retaken >= r->tasks && r->retaken_ns)
			fprintf(out, " (all %.0f ms after its last word)",
				ms(r->retaken_ns, r->last_ns));
		fputs(r->returned ? "; it came back later\n" : "\n", out);
	}
}
