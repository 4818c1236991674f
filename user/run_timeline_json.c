/* --timeline: the records of run_timeline.c written once, at the end, as
 * Chrome trace-event JSON ({"traceEvents":[...]}, ts in microseconds).
 *
 * Every event is formatted into a scratch stream first and copied only if
 * the file stays under TL_MAX_BYTES, so the cap is hard and a flow's two
 * ends (one unit) are never split. Slices are X events, written per track
 * in start order and made properly nested (a slice that would outlast the
 * one it starts in is cut at its end and says "clipped"), which is what
 * the viewers need to stack them. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "json.h"
#include "run_timeline_int.h"

#define TAIL_RESERVE   16384   /* the closing summary */
#define MAX_POINTS     2000    /* per counter series */
#define TINY_NS        1000    /* send / read marks on a coordinator's track */
#define NEST_MAX       32

enum { S_RUN, S_PROC, S_EXEC, S_MARK, S_TASK, S_LOCK, S_SEND, S_READ };

struct slice {
	uint64_t start, end;
	int32_t track, ref;         /* ref: proc, task, lock or mark index */
	uint8_t kind, clipped;
};

struct out {
	struct timeline *tl;
	FILE *f, *u;                /* the file; one unit's scratch stream */
	char *ubuf;
	size_t ulen, bytes;
	uint64_t units, dropped, clipped;
	size_t detailed, stride, agents;
};

/* --- units: formatted apart, written only if they fit ------------------ */

static void unit_begin(struct out *o)
{
	fseek(o->u, 0, SEEK_SET);
}

static void unit_end(struct out *o)
{
	if (fflush(o->u) || o->bytes + o->ulen + 2 + TAIL_RESERVE > TL_MAX_BYTES) {
		o->dropped++;
		return;
	}
	if (o->units++)
		o->bytes += (size_t)fprintf(o->f, ",\n");
	fwrite(o->ubuf, 1, o->ulen, o->f);
	o->bytes += o->ulen;
}

/* Microseconds since t0, exactly (ns precision, never negative). */
static void put_us(FILE *u, const char *key, uint64_t ns, uint64_t t0)
{
	uint64_t d = ns > t0 ? ns - t0 : 0;

	fprintf(u, "\"%s\":%" PRIu64 ".%03u", key, d / 1000, (unsigned)(d % 1000));
}

static void put_name(FILE *u, const char *s)
{
	fputs("\"name\":", u);
	json_str(u, s, strlen(s));
}

/* --- tracks ------------------------------------------------------------- */

static int32_t group_of(const struct timeline *tl, int32_t tr)
{
	int32_t g = tl->tracks[tr].group;

	return g >= 0 ? g : 0;
}

static int32_t tid_of(const struct timeline *tl, int32_t tr)
{
	return tl->tracks[tr].pid ? tl->tracks[tr].pid : TL_SYNTH_TID + tr;
}

static int32_t pid_of(const struct timeline *tl, int32_t tr)
{
	return tid_of(tl, group_of(tl, tr));
}

static void put_track(FILE *u, const struct timeline *tl, int32_t tr)
{
	fprintf(u, "\"pid\":%d,\"tid\":%d", (int)pid_of(tl, tr), (int)tid_of(tl, tr));
}

static int32_t lock_track(const struct timeline *tl, const struct tl_lock *l);

/* Every k-th agent, plus failed ones, gets a track (include/run_timeline.h). */
static void choose_detail(struct out *o)
{
	struct timeline *tl = o->tl;
	size_t i, j = 0, extra = 0;
	int dup = tl->topology[0] == 'h';
	int32_t tr;

	/* A hybrid worker only the kernel saw ("pid N") duplicates one named
	 * by its results (the master cannot tell which): it is shown only for
	 * its lock waits, and counted in the counters and spawn quantiles. */
	for (i = 0; i < tl->nlocks; i++)
		if ((tr = lock_track(tl, &tl->locks[i])) >= 0 && dup && tl->tracks[tr].ppid)
			tl->tracks[tr].detail = 2;
	for (i = 0; i < tl->ntracks; i++)
		o->agents += tl->tracks[i].kind == TL_AGENT && !(dup && tl->tracks[i].ppid);
	o->stride = o->agents <= TL_DETAIL_AGENTS ? 1
			: (o->agents + TL_DETAIL_AGENTS - 1) / TL_DETAIL_AGENTS;
	for (i = 0; i < tl->ntracks; i++) {
		struct tl_track *t = &tl->tracks[i];

		if (dup && t->ppid) {
			t->detail = t->detail == 2;
			continue;
		}
		t->detail = t->kind != TL_AGENT || j++ % o->stride == 0;
		if (!t->detail && t->failed && extra < TL_DETAIL_FAILED) {
			t->detail = 1;
			extra++;
		}
		o->detailed += t->detail && t->kind == TL_AGENT;
	}
}

static void thread_label(const struct timeline *tl, int32_t tr, char *buf, size_t len)
{
	const struct tl_track *t = &tl->tracks[tr];
	unsigned n = 0;
	int32_t p;

	for (p = t->first_proc; p >= 0; p = tl->procs[p].next)
		n++;
	if (!tr && tl->topology[0] == 't')
		snprintf(buf, len, "root (pid %d)", (int)t->pid);
	else if (!strncmp(t->name, "pid ", 4) && t->first_proc >= 0 &&
		 tl->procs[t->first_proc].comm[0])
		snprintf(buf, len, "%s (%s)", t->name, tl->procs[t->first_proc].comm);
	else if (!t->pid || !strncmp(t->name, "pid ", 4))
		snprintf(buf, len, "%s", t->name);
	else if (n > 1)
		snprintf(buf, len, "%s (pid %d, +%u more)", t->name, (int)t->pid, n - 1);
	else
		snprintf(buf, len, "%s (pid %d)", t->name, (int)t->pid);
}

static void put_meta(struct out *o, const char *what, int32_t tr, const char *label,
		     int sort)
{
	unit_begin(o);
	fprintf(o->u, "{\"ph\":\"M\",\"name\":\"%s\",", what);
	put_track(o->u, o->tl, tr);
	fputs(",\"args\":{", o->u);
	if (label)
		put_name(o->u, label);
	else
		fprintf(o->u, "\"sort_index\":%d", sort);
	fputs("}}", o->u);
	unit_end(o);
}

static void write_meta(struct out *o)
{
	struct timeline *tl = o->tl;
	char label[160];
	size_t i;

	for (i = 0; i < tl->ntracks; i++) {
		const struct tl_track *t = &tl->tracks[i];

		if (!t->detail)
			continue;
		if (t->kind == TL_MASTER && tl->topology[0] == 't')
			snprintf(label, sizeof(label), "swarm-trace: pid %d and its "
				 "descendants", (int)tl->master);
		else if (t->kind == TL_MASTER)
			snprintf(label, sizeof(label), "swarm master (%s, pid %d)",
				 tl->topology, (int)tl->master);
		else if (t->kind == TL_COORD)
			snprintf(label, sizeof(label), "coordinator %s (pid %d)",
				 t->name, (int)t->pid);
		if (t->kind != TL_AGENT) {
			put_meta(o, "process_name", (int32_t)i, label, 0);
			put_meta(o, "process_sort_index", (int32_t)i, NULL, (int)i);
		}
		thread_label(tl, (int32_t)i, label, sizeof(label));
		put_meta(o, "thread_name", (int32_t)i, label, 0);
		put_meta(o, "thread_sort_index", (int32_t)i, NULL, (int)i);
	}
}

/* --- counters ----------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* How many of sorted v[0..n) are <= x, moving *i forward. */
static size_t upto(const uint64_t *v, size_t n, size_t *i, uint64_t x)
{
	while (*i < n && v[*i] <= x)
		(*i)++;
	return *i;
}

/* Fork (kernel) or spawn (master) time; a process that was there before
 * the tracer came (swarm-trace) starts with the timeline. */
static uint64_t proc_start(const struct timeline *tl, const struct tl_proc *p)
{
	uint64_t s = p->fork_ns ? p->fork_ns : p->spawn_ns;

	return s > tl->t0 ? s : tl->t0;
}

/* Viewers name a counter "<name> <arg key>": "master fds", "tasks done". */
static void put_counter(struct out *o, const char *name, const char *key,
			uint64_t ns, uint64_t v)
{
	unit_begin(o);
	fprintf(o->u, "{\"ph\":\"C\",");
	put_name(o->u, name);
	fprintf(o->u, ",\"pid\":%d,\"tid\":%d,", (int)o->tl->master, (int)o->tl->master);
	put_us(o->u, "ts", ns, o->tl->t0);
	fprintf(o->u, ",\"args\":{\"%s\":%" PRIu64 "}}", key, v);
	unit_end(o);
}

/* The master's samples and the kernel's, at most MAX_POINTS of each. */
static void write_samples(struct out *o)
{
	const struct timeline *tl = o->tl;
	size_t i, step = (tl->samples.n + MAX_POINTS - 1) / MAX_POINTS;

	for (i = 0; i < tl->samples.n; i += step ? step : 1) {
		put_counter(o, "/dev/shm", "bytes", tl->samples.v[i].ns, tl->samples.v[i].shm);
		put_counter(o, "master", "fds", tl->samples.v[i].ns, tl->samples.v[i].fds);
	}
	step = (tl->ksamples.n + MAX_POINTS - 1) / MAX_POINTS;
	for (i = 0; i < tl->ksamples.n; i += step ? step : 1)
		put_counter(o, "tree (kernel)", "fds", tl->ksamples.v[i].ns,
			    tl->ksamples.v[i].fds);
}

/* Agents alive and tasks done change at every spawn, exit and answer:
 * their value at the end of each of MAX_POINTS equal steps of the run,
 * written when it changed; from every record, not only detailed ones. */
static void write_steps(struct out *o, const uint64_t *up, size_t nup,
			const uint64_t *down, size_t ndown, const uint64_t *done, size_t ndone)
{
	const struct timeline *tl = o->tl;
	uint64_t width = (tl->end > tl->t0 ? tl->end - tl->t0 : 0) / MAX_POINTS + 1;
	size_t k, iu = 0, id = 0, it = 0, last_alive = 0, last_done = 0;

	for (k = 0; k <= MAX_POINTS; k++) {
		uint64_t ts = tl->t0 + k * width;
		size_t u = upto(up, nup, &iu, ts), d = upto(down, ndown, &id, ts);
		size_t alive = u > d ? u - d : 0, n = upto(done, ndone, &it, ts);

		if (alive != last_alive || !k)
			put_counter(o, "agents", "alive", ts, alive);
		if (n != last_done || !k)
			put_counter(o, "tasks", "done", ts, n);
		last_alive = alive;
		last_done = n;
	}
}

static int write_counters(struct out *o)
{
	struct timeline *tl = o->tl;
	uint64_t *up = malloc((tl->nprocs + 1) * sizeof(*up));
	uint64_t *down = malloc((tl->nprocs + 1) * sizeof(*down));
	uint64_t *done = malloc((tl->ntasks + 1) * sizeof(*done));
	size_t i, nup = 0, ndown = 0;
	int err = -ENOMEM;

	if (!up || !down || !done)
		goto out;
	for (i = 0; i < tl->nprocs; i++) {
		const struct tl_proc *p = &tl->procs[i];

		if (tl->tracks[p->track].kind != TL_AGENT)
			continue;
		up[nup++] = proc_start(tl, p);
		if (p->exited || p->kexited)
			down[ndown++] = p->exit_ns;
	}
	for (i = 0; i < tl->ntasks; i++)
		done[i] = tl->tasks[i].mread_ns;
	qsort(up, nup, sizeof(*up), cmp_u64);
	qsort(down, ndown, sizeof(*down), cmp_u64);
	qsort(done, tl->ntasks, sizeof(*done), cmp_u64);
	write_samples(o);
	write_steps(o, up, nup, down, ndown, done, tl->ntasks);
	err = 0;
out:
	free(up);
	free(down);
	free(done);
	return err;
}

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
	for (; p >= 0 && proc_start(tl, &tl->procs[p]) <= ns; p = tl->procs[p].next)
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
	uint64_t ps = pr ? proc_start(tl, pr) : 0;

	if (pr && pr->exec_ns && pr->exec_ns <= t->answer_ns)
		ps = pr->exec_ns;
	*start = ps > t->send_ns ? ps : t->send_ns;
	*end = t->answer_ns;
	if (pr && (pr->exited || pr->kexited) && pr->exit_ns < *end && pr->exit_ns >= *start)
		*end = pr->exit_ns;
}

static void proc_slices(struct out *o, struct slices *s)
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
		    kind == TL_MASTER ? tl->t0 : proc_start(tl, p),
		    kind == TL_MASTER ? tl->end : end);
		if (p->exec_ns && p->exec_ns <= end)
			add(s, p->track, S_EXEC, (int32_t)i, p->exec_ns, end);
	}
	for (i = 0; i < tl->nmarks; i++)
		add(s, 0, S_MARK, (int32_t)i, tl->marks[i].start_ns, tl->marks[i].end_ns);
}

static void task_slices(struct out *o, struct slices *s)
{
	struct timeline *tl = o->tl;
	int hybrid = tl->topology[0] == 'h';
	size_t i;

	for (i = 0; i < tl->ntasks; i++) {
		const struct tl_task *t = &tl->tasks[i];
		int32_t g = group_of(tl, t->track);
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
static int32_t lock_track(const struct timeline *tl, const struct tl_lock *l)
{
	int32_t p = tl_proc_find(tl, l->agent ? l->agent : l->tgid);

	if (p < 0 && l->agent)
		p = tl_proc_find(tl, l->tgid);
	return p < 0 ? -1 : tl->procs[p].track;
}

static void lock_slices(struct out *o, struct slices *s)
{
	size_t i;

	for (i = 0; i < o->tl->nlocks; i++) {
		const struct tl_lock *l = &o->tl->locks[i];
		int32_t tr = lock_track(o->tl, l);

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
static void nest(struct out *o, struct slices *s)
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

static void slice_name(struct out *o, const struct slice *c, char *buf, size_t len)
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

static void slice_args(struct out *o, const struct slice *c)
{
	struct timeline *tl = o->tl;
	const struct tl_task *t = c->kind == S_TASK ? &tl->tasks[c->ref] : NULL;
	const struct tl_proc *p = c->kind <= S_EXEC ? &tl->procs[c->ref] : NULL;

	fputs(",\"args\":{", o->u);
	if (t)
		fprintf(o->u, "\"task\":%u,\"status\":\"%s\",\"queued_us\":%" PRIu64 ","
			"\"answer_to_read_us\":%" PRIu64 ",", t->id + 1, task_status_name(t->status),
			(c->start - t->send_ns) / 1000, (t->cread_ns - t->answer_ns) / 1000);
	else if (p && c->kind != S_EXEC && c->track && p->exited)
		fprintf(o->u, "\"exit\":\"%s %d\",", WIFSIGNALED(p->wstatus) ? "signal" : "status",
			WIFSIGNALED(p->wstatus) ? WTERMSIG(p->wstatus) : WEXITSTATUS(p->wstatus));
	else if (c->kind == S_LOCK)
		fprintf(o->u, "\"wait_us\":%" PRIu64 ",\"pid\":%d,", tl->locks[c->ref].wait_ns / 1000,
			(int)tl->locks[c->ref].tgid);
	fprintf(o->u, "\"clipped\":%s}", c->clipped ? "true" : "false");
}

static const char *const cats[] = { "run", "process", "process", "master", "task",
				    "lock", "msg", "msg" };

static void write_slice(struct out *o, const struct slice *c)
{
	char name[96];

	slice_name(o, c, name, sizeof(name));
	unit_begin(o);
	fputs("{\"ph\":\"X\",", o->u);
	put_name(o->u, name);
	fprintf(o->u, ",\"cat\":\"%s\",", cats[c->kind]);
	put_track(o->u, o->tl, c->track);
	fputc(',', o->u);
	put_us(o->u, "ts", c->start, o->tl->t0);
	fputc(',', o->u);
	put_us(o->u, "dur", c->end, c->start);
	slice_args(o, c);
	fputc('}', o->u);
	unit_end(o);
}

static int write_slices(struct out *o)
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

static void flow_end(struct out *o, const char *ph, uint64_t id, const char *name,
		     int32_t tr, uint64_t ns)
{
	fprintf(o->u, "{\"ph\":\"%s\",%s\"id\":%" PRIu64 ",\"cat\":\"msg\",", ph,
		ph[0] == 'f' ? "\"bp\":\"e\"," : "", id);
	put_name(o->u, name);
	fputc(',', o->u);
	put_track(o->u, o->tl, tr);
	fputc(',', o->u);
	put_us(o->u, "ts", ns, o->tl->t0);
}

static void flow(struct out *o, uint64_t id, const char *name, int32_t from,
		 uint64_t t_from, int32_t to, uint64_t t_to, uint64_t lat_ns)
{
	unit_begin(o);
	flow_end(o, "s", id, name, from, t_from);
	fputs("},", o->u);
	flow_end(o, "f", id, name, to, t_to);
	fprintf(o->u, ",\"args\":{\"latency_us\":%" PRIu64 "}}", lat_ns / 1000);
	unit_end(o);
}

static void write_flows(struct out *o)
{
	struct timeline *tl = o->tl;
	int hybrid = tl->topology[0] == 'h';
	size_t i;

	for (i = 0; i < tl->ntasks; i++) {
		const struct tl_task *t = &tl->tasks[i];
		int32_t c = hybrid ? group_of(tl, t->track) : 0;
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

/* --- summary: every agent and task, whatever was detailed --------------- */

static void quantiles(FILE *f, const char *key, uint64_t *v, size_t n, uint64_t t0)
{
	size_t i, k, m = n < 101 ? n : 101;

	/* all of them up to 101, else the 0th..100th percentiles */
	qsort(v, n, sizeof(*v), cmp_u64);
	fprintf(f, ",\"%s\":[", key);
	for (i = 0; i < m; i++) {
		k = m == n ? i : (n - 1) * i / 100;
		fprintf(f, "%s%.3f", i ? "," : "", v[k] > t0 ? (double)(v[k] - t0) / 1e6 : 0.0);
	}
	fputc(']', f);
}

static int write_summary(struct out *o)
{
	struct timeline *tl = o->tl;
	size_t n = tl->nprocs > tl->ntasks ? tl->nprocs : tl->ntasks, i, k = 0, c = 0;
	uint64_t *v = malloc((n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < tl->ntracks; i++)
		c += tl->tracks[i].kind == TL_COORD;
	fprintf(o->f, "\n],\"swarm\":{\"schema_version\":1,\"topology\":\"%s\","
		"\"coordinators\":%zu,\"agents\":%zu,\"tracks_detailed\":%zu,\"stride\":%zu,\"tasks\":%zu,"
		"\"lock_waits\":%zu,\"max_bytes\":%u,\"dropped_events\":%" PRIu64 ","
		"\"records_lost\":%" PRIu64 ",\"clipped\":%" PRIu64 ",\"run_ms\":%.3f",
		tl->topology, c, o->agents, o->detailed, o->stride, tl->ntasks, tl->nlocks,
		TL_MAX_BYTES, o->dropped, tl->lost, o->clipped,
		(double)(tl->end - tl->t0) / 1e6);
	for (i = 0; i < tl->nprocs; i++)
		if (tl->tracks[tl->procs[i].track].kind == TL_AGENT &&
		    (tl->procs[i].fork_ns || tl->procs[i].spawn_ns))
			v[k++] = proc_start(tl, &tl->procs[i]);
	quantiles(o->f, "spawn_ms", v, k, tl->t0);
	for (i = 0, k = 0; i < tl->ntasks; i++)
		if (tl->tasks[i].status == TS_OK)
			v[k++] = tl->tasks[i].answer_ns;
	quantiles(o->f, "answer_ms", v, k, tl->t0);
	fputs("}}\n", o->f);
	free(v);
	return 0;
}

int timeline_write(struct timeline *tl)
{
	struct out o = { .tl = tl };
	int err;

	if (!tl || !tl->f)
		return 0;
	if (!tl->end)
		tl->end = now_ns();
	o.f = tl->f;
	o.u = open_memstream(&o.ubuf, &o.ulen);
	if (!o.u)
		return -errno;
	choose_detail(&o);
	o.bytes = (size_t)fprintf(o.f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
	write_meta(&o);
	err = write_counters(&o);
	if (!err)
		err = write_slices(&o);
	if (!err)
		write_flows(&o);
	if (!err)
		err = write_summary(&o);
	fclose(o.u);
	free(o.ubuf);
	if (ferror(tl->f) && !err)
		err = -EIO;
	if (fclose(tl->f) && !err)
		err = -errno;
	tl->f = NULL;
	return err;
}
