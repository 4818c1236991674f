/* --timeline, the writer's slices and flows (run_timeline_json.c writes
 * the rest): every slice of the detailed tracks, sorted per track and made
 * properly nested (a slice that would outlast the one it starts in is cut
 * at its end and says "clipped"), which is what the viewers need to stack
 * them; then the message flows, each with both ends in one unit. */
#include <inttypes.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "run_timeline_int.h"

#define TINY_NS        1000    /* send / read marks on a coordinator's track */
#define NEST_MAX       32

enum { S_RUN, S_PROC, S_EXEC, S_MARK, S_TASK, S_LOCK, S_SEND, S_READ };

struct slice {
	uint64_t start, end;
	int32_t track, ref;         /* ref: proc, task, lock or mark index */
	uint8_t kind, clipped;
};

/* --- slices ------------------------------------------------------------- */

struct slices {
	struct slice *v;
	size_t n, cap;
	uint64_t lost;              /* no memory: counted as dropped */
};

static void add(struct slices *s, int32_t tr, int kind, int32_t ref,
		uint64_t start, uint64_t end)
{
	struct slice *nv;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;

		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			s->lost++;  /* fewer slices, still a valid file */
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = (struct slice){ .start = start, .end = end < start ? start : end,
				       .track = tr, .ref = ref, .kind = (uint8_t)kind };
}

/* The process of track tr alive at ns (the last started by then), or -1.
 * A track's tasks are asked for in answer order, so the walk resumes where
 * the last one stopped: linear over a slot's one-shot processes, not
 * quadratic. */
static int32_t proc_at(struct timeline *tl, int32_t tr, uint64_t ns)
{
	struct tl_track *t = &tl->tracks[tr];
	int32_t p = t->first_proc, found = -1;

	if (t->cursor >= 0 && ns >= t->cursor_ns)
		p = found = t->cursor;
	for (; p >= 0 && tl_proc_start(tl, &tl->procs[p]) <= ns; p = tl->procs[p].next)
		found = p;
	t->cursor = found;
	t->cursor_ns = ns;
	return found;
}

/* A task's slice on its agent: from the send, or, when the task waited
 * in the inbox for it, from when the process that answered could first
 * read it (its exec, or its start for a built-in agent); to the answer, or
 * to that process's exit when the master saw the exit first (a plain
 * command's "answer" is its exit, taken after the reap). */
static void task_span(struct timeline *tl, const struct tl_task *t, uint64_t *start,
		      uint64_t *end)
{
	int32_t p = proc_at(tl, t->track, t->answer_ns);
	const struct tl_proc *pr = p >= 0 ? &tl->procs[p] : NULL;
	uint64_t ps = pr ? tl_proc_start(tl, pr) : 0;

	if (pr && pr->exec_ns && pr->exec_ns <= t->answer_ns)
		ps = pr->exec_ns;
	*start = ps > t->send_ns ? ps : t->send_ns;
	*end = t->answer_ns;
	if (pr && (pr->exited || pr->kexited) && pr->exit_ns < *end && pr->exit_ns >= *start)
		*end = pr->exit_ns;
}

static void proc_slices(struct tl_out *o, struct slices *s)
{
	struct timeline *tl = o->tl;
	size_t i;

	for (i = 0; i < tl->nprocs; i++) {
		const struct tl_proc *p = &tl->procs[i];
		uint64_t end = p->exited || p->kexited ? p->exit_ns : tl->end;
		int kind = tl->tracks[p->track].kind;

		if (!tl->tracks[p->track].detail)
			continue;
		add(s, p->track, kind == TL_AGENT ? S_PROC : S_RUN, (int32_t)i,
		    kind == TL_MASTER ? tl->t0 : tl_proc_start(tl, p),
		    kind == TL_MASTER ? tl->end : end);
		if (p->exec_ns && p->exec_ns <= end)
			add(s, p->track, S_EXEC, (int32_t)i, p->exec_ns, end);
	}
	for (i = 0; i < tl->nmarks; i++)
		add(s, 0, S_MARK, (int32_t)i, tl->marks[i].start_ns, tl->marks[i].end_ns);
}

static void task_slices(struct tl_out *o, struct slices *s)
{
	struct timeline *tl = o->tl;
	int hybrid = tl->topology[0] == 'h';
	size_t i;

	for (i = 0; i < tl->ntasks; i++) {
		const struct tl_task *t = &tl->tasks[i];
		int32_t g = tl_group_of(tl, t->track);
		uint64_t start, end;

		if (!tl->tracks[t->track].detail)
			continue;
		task_span(tl, t, &start, &end);
		add(s, t->track, S_TASK, (int32_t)i, start, end);
		add(s, hybrid ? g : 0, S_SEND, (int32_t)i, t->send_ns, t->send_ns + TINY_NS);
		add(s, hybrid ? g : 0, S_READ, (int32_t)i, t->cread_ns, t->cread_ns + TINY_NS);
		if (hybrid)
			add(s, 0, S_READ, (int32_t)i, t->mread_ns, t->mread_ns + TINY_NS);
	}
}

/* A lock wait belongs to its agent's track (a child's wait too), else to
 * the process's own (the master, a coordinator). */
int32_t tl_lock_track(const struct timeline *tl, const struct tl_lock *l)
{
	int32_t p = tl_proc_find(tl, l->agent ? l->agent : l->tgid);

	if (p < 0 && l->agent)
		p = tl_proc_find(tl, l->tgid);
	return p < 0 ? -1 : tl->procs[p].track;
}

static void lock_slices(struct tl_out *o, struct slices *s)
{
	size_t i;

	for (i = 0; i < o->tl->nlocks; i++) {
		const struct tl_lock *l = &o->tl->locks[i];
		int32_t tr = tl_lock_track(o->tl, l);

		if (tr >= 0 && o->tl->tracks[tr].detail)
			add(s, tr, S_LOCK, (int32_t)i, l->start_ns, l->start_ns + l->wait_ns);
	}
}

static int cmp_slice(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;   /* the longer one is the parent */
	return x->kind - y->kind;
}

/* Sorted per track: cut what would overlap its parent's end. */
static void nest(struct tl_out *o, struct slices *s)
{
	uint64_t stack[NEST_MAX];
	size_t i, sp = 0;

	for (i = 0; i < s->n; i++) {
		struct slice *c = &s->v[i];

		if (i && c->track != s->v[i - 1].track)
			sp = 0;
		while (sp && stack[sp - 1] <= c->start)
			sp--;
		if (sp && c->end > stack[sp - 1]) {
			c->end = stack[sp - 1];
			c->clipped = 1;
			o->clipped++;
		}
		if (sp < NEST_MAX)
			stack[sp++] = c->end;
	}
}

static void slice_name(struct tl_out *o, const struct slice *c, char *buf, size_t len)
{
	const struct timeline *tl = o->tl;
	const struct tl_proc *p = c->kind <= S_EXEC ? &tl->procs[c->ref] : NULL;

	switch (c->kind) {
	case S_RUN:  snprintf(buf, len, "%s", !c->track && tl->topology[0] == 't'
				  ? "traced" : tl->tracks[c->track].name); break;
	case S_PROC: snprintf(buf, len, "process %d", (int)p->pid); break;
	case S_EXEC: snprintf(buf, len, "exec %s", p->comm[0] ? p->comm : "?"); break;
	case S_MARK: snprintf(buf, len, "%s", tl->marks[c->ref].name); break;
	case S_TASK: snprintf(buf, len, "task %u", tl->tasks[c->ref].id + 1); break;
	case S_LOCK: snprintf(buf, len, "lock wait"); break;
	case S_SEND: snprintf(buf, len, "send task %u", tl->tasks[c->ref].id + 1); break;
	default:     snprintf(buf, len, "read %s %u", tl->topology[0] == 'h' && !c->track
				  ? "result" : "answer", tl->tasks[c->ref].id + 1); break;
	}
}

static void slice_args(struct tl_out *o, const struct slice *c)
{
	struct timeline *tl = o->tl;
	const struct tl_task *t = c->kind == S_TASK ? &tl->tasks[c->ref] : NULL;
	const struct tl_proc *p = c->kind <= S_EXEC ? &tl->procs[c->ref] : NULL;
	struct jsonw *w = &o->w;
	char exit[32];

	jsonw_name(w, "args");
	jsonw_start_object(w);
	if (t) {
		jsonw_uint_field(w, "task", (uint64_t)t->id + 1);
		jsonw_string_field(w, "status", task_status_name(t->status));
		jsonw_uint_field(w, "queued_us", (c->start - t->send_ns) / 1000);
		jsonw_uint_field(w, "answer_to_read_us", (t->cread_ns - t->answer_ns) / 1000);
	} else if (p && c->kind != S_EXEC && c->track && p->exited) {
		snprintf(exit, sizeof(exit), "%s %d", WIFSIGNALED(p->wstatus) ? "signal" : "status",
			 WIFSIGNALED(p->wstatus) ? WTERMSIG(p->wstatus) : WEXITSTATUS(p->wstatus));
		jsonw_string_field(w, "exit", exit);
	} else if (c->kind == S_LOCK) {
		jsonw_uint_field(w, "wait_us", tl->locks[c->ref].wait_ns / 1000);
		jsonw_int_field(w, "pid", tl->locks[c->ref].tgid);
		jsonw_uint_field(w, "inode", tl->locks[c->ref].ino);
	}
	jsonw_bool_field(w, "clipped", c->clipped);
	jsonw_end_object(w);
}

static const char *const cats[] = { "run", "process", "process", "master", "task",
				    "lock", "msg", "msg" };

static void write_slice(struct tl_out *o, const struct slice *c)
{
	char name[96];

	slice_name(o, c, name, sizeof(name));
	tl_unit_begin(o);
	jsonw_start_object(&o->w);
	jsonw_string_field(&o->w, "ph", "X");
	tl_put_name(&o->w, name);
	jsonw_string_field(&o->w, "cat", cats[c->kind]);
	tl_put_track(&o->w, o->tl, c->track);
	tl_put_us(&o->w, "ts", c->start, o->tl->t0);
	tl_put_us(&o->w, "dur", c->end, c->start);
	slice_args(o, c);
	jsonw_end_object(&o->w);
	tl_unit_end(o);
}

int tl_write_slices(struct tl_out *o)
{
	struct slices s = { 0 };
	size_t i;

	proc_slices(o, &s);
	task_slices(o, &s);
	lock_slices(o, &s);
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), cmp_slice);
	nest(o, &s);
	for (i = 0; i < s.n; i++)
		write_slice(o, &s.v[i]);
	o->dropped += s.lost;
	free(s.v);
	return 0;
}

/* --- flows: both ends in one unit --------------------------------------- */

/* One end of a flow: its members; the caller closes the object. */
static void flow_end(struct tl_out *o, const char *ph, uint64_t id, const char *name,
		     int32_t tr, uint64_t ns)
{
	jsonw_start_object(&o->w);
	jsonw_string_field(&o->w, "ph", ph);
	if (ph[0] == 'f')
		jsonw_string_field(&o->w, "bp", "e");
	jsonw_uint_field(&o->w, "id", id);
	jsonw_string_field(&o->w, "cat", "msg");
	tl_put_name(&o->w, name);
	tl_put_track(&o->w, o->tl, tr);
	tl_put_us(&o->w, "ts", ns, o->tl->t0);
}

static void flow(struct tl_out *o, uint64_t id, const char *name, int32_t from,
		 uint64_t t_from, int32_t to, uint64_t t_to, uint64_t lat_ns)
{
	tl_unit_begin(o);
	flow_end(o, "s", id, name, from, t_from);
	jsonw_end_object(&o->w);
	tl_unit_next(o);
	flow_end(o, "f", id, name, to, t_to);
	jsonw_name(&o->w, "args");
	jsonw_start_object(&o->w);
	jsonw_uint_field(&o->w, "latency_us", lat_ns / 1000);
	jsonw_end_object(&o->w);
	jsonw_end_object(&o->w);
	tl_unit_end(o);
}

void tl_write_flows(struct tl_out *o)
{
	struct timeline *tl = o->tl;
	int hybrid = tl->topology[0] == 'h';
	size_t i;

	for (i = 0; i < tl->ntasks; i++) {
		const struct tl_task *t = &tl->tasks[i];
		int32_t c = hybrid ? tl_group_of(tl, t->track) : 0;
		uint64_t start, end, ans, id = 3 * (uint64_t)i + 1;

		if (!tl->tracks[t->track].detail)
			continue;
		task_span(tl, t, &start, &end);
		/* inside the task's slice, not on its closing edge */
		ans = end - start > 2 ? end - 1 : start;
		flow(o, id, "task", c, t->send_ns, t->track, start, start - t->send_ns);
		if (t->status != TS_OK && t->status != TS_FAILED)
			continue;   /* no answer came */
		flow(o, id + 1, "answer", t->track, ans, c, t->cread_ns,
		     t->cread_ns - t->answer_ns);
		if (hybrid)
			flow(o, id + 2, "result", c, t->cread_ns, 0, t->mread_ns,
			     t->mread_ns - t->cread_ns);
	}
}
