/* --timeline: the records of run_timeline.c written once, at the end, as
 * Chrome trace-event JSON ({"traceEvents":[...]}, ts in microseconds):
 * names, counters and the summary here, slices and flows in
 * run_timeline_slices.c.
 *
 * Every event is written through the JSON writer into a scratch stream
 * first and copied only if the file stays under TL_MAX_BYTES, so the cap is
 * hard and a flow's two ends (one unit) are never split. The frame around
 * the events ({"displayTimeUnit":"ms","traceEvents":[ ... ],"swarm":...})
 * is the one text written by hand, here: one unit per line, which keeps a
 * capped file readable and the cap counted in bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "run_timeline_int.h"

#define TAIL_RESERVE   16384   /* the closing summary */
#define MAX_POINTS     2000    /* per counter series */

/* --- units: formatted apart, written only if they fit ------------------ */

void tl_unit_begin(struct tl_out *o)
{
	fseek(o->u, 0, SEEK_SET);
	jsonw_init_file(&o->w, o->u);
}

/* The array's comma between two events of one unit (the frame's, as the
 * ",\n" between units: the writer sees each event on its own). */
void tl_unit_next(struct tl_out *o)
{
	fputc(',', o->u);
}

void tl_unit_end(struct tl_out *o)
{
	if (jsonw_finish(&o->w) || fflush(o->u) ||
	    o->bytes + o->ulen + 2 + TAIL_RESERVE > TL_MAX_BYTES) {
		o->dropped++;
		return;
	}
	if (o->units++)
		o->bytes += (size_t)fprintf(o->f, ",\n");
	fwrite(o->ubuf, 1, o->ulen, o->f);
	o->bytes += o->ulen;
}

/* Microseconds since t0, exactly (ns precision, never negative). */
void tl_put_us(struct jsonw *w, const char *key, uint64_t ns, uint64_t t0)
{
	uint64_t d = ns > t0 ? ns - t0 : 0;

	jsonw_name(w, key);
	jsonw_printf(w, "%" PRIu64 ".%03u", d / 1000, (unsigned)(d % 1000));
}

void tl_put_name(struct jsonw *w, const char *s)
{
	jsonw_string_field(w, "name", s);
}

/* --- tracks ------------------------------------------------------------- */

int32_t tl_group_of(const struct timeline *tl, int32_t tr)
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
	return tid_of(tl, tl_group_of(tl, tr));
}

void tl_put_track(struct jsonw *w, const struct timeline *tl, int32_t tr)
{
	jsonw_int_field(w, "pid", pid_of(tl, tr));
	jsonw_int_field(w, "tid", tid_of(tl, tr));
}

/* Every k-th agent, plus failed ones, gets a track (user/run/run_timeline.h). */
static void choose_detail(struct tl_out *o)
{
	struct timeline *tl = o->tl;
	size_t i, j = 0, extra = 0;
	int dup = tl->topology[0] == 'h';
	int32_t tr;

	/* A hybrid worker only the kernel saw ("pid N") duplicates one named
	 * by its results (the master cannot tell which): it is shown only for
	 * its lock waits, and counted in the counters and spawn quantiles. */
	for (i = 0; i < tl->nlocks; i++)
		if ((tr = tl_lock_track(tl, &tl->locks[i])) >= 0 && dup && tl->tracks[tr].ppid)
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

static void put_meta(struct tl_out *o, const char *what, int32_t tr, const char *label,
		     int sort)
{
	tl_unit_begin(o);
	jsonw_start_object(&o->w);
	jsonw_string_field(&o->w, "ph", "M");
	tl_put_name(&o->w, what);
	tl_put_track(&o->w, o->tl, tr);
	jsonw_name(&o->w, "args");
	jsonw_start_object(&o->w);
	if (label)
		tl_put_name(&o->w, label);
	else
		jsonw_int_field(&o->w, "sort_index", sort);
	jsonw_end_object(&o->w);
	jsonw_end_object(&o->w);
	tl_unit_end(o);
}

/* Workers in slot order (c2-w3 before c2-w10), whatever order their
 * tracks were made in; the rest after them in the order they came. */
static int sort_index(const struct timeline *tl, int32_t tr)
{
	const char *w = strrchr(tl->tracks[tr].name, 'w');
	uint64_t n;

	if (tl->tracks[tr].kind == TL_AGENT && w && (w == tl->tracks[tr].name || w[-1] == '-') &&
	    !parse_u64(w + 1, &n) && n < 1000000)
		return (int)n;
	return 1000000 + (int)tr;
}

static void write_meta(struct tl_out *o)
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
		put_meta(o, "thread_sort_index", (int32_t)i, NULL,
			 t->kind == TL_AGENT ? sort_index(tl, (int32_t)i) : 0);
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
uint64_t tl_proc_start(const struct timeline *tl, const struct tl_proc *p)
{
	uint64_t s = p->fork_ns ? p->fork_ns : p->spawn_ns;

	return s > tl->t0 ? s : tl->t0;
}

/* Viewers name a counter "<name> <arg key>": "master fds", "tasks done". */
static void put_counter(struct tl_out *o, const char *name, const char *key,
			uint64_t ns, uint64_t v)
{
	tl_unit_begin(o);
	jsonw_start_object(&o->w);
	jsonw_string_field(&o->w, "ph", "C");
	tl_put_name(&o->w, name);
	jsonw_int_field(&o->w, "pid", o->tl->master);
	jsonw_int_field(&o->w, "tid", o->tl->master);
	tl_put_us(&o->w, "ts", ns, o->tl->t0);
	jsonw_name(&o->w, "args");
	jsonw_start_object(&o->w);
	jsonw_uint_field(&o->w, key, v);
	jsonw_end_object(&o->w);
	jsonw_end_object(&o->w);
	tl_unit_end(o);
}

/* The master's samples and the kernel's, at most MAX_POINTS of each. */
static void write_samples(struct tl_out *o)
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
static void write_steps(struct tl_out *o, const uint64_t *up, size_t nup,
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

static int write_counters(struct tl_out *o)
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
		up[nup++] = tl_proc_start(tl, p);
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

/* --- summary: every agent and task, whatever was detailed --------------- */

static void quantiles(struct jsonw *w, const char *key, uint64_t *v, size_t n, uint64_t t0)
{
	size_t i, k, m = n < 101 ? n : 101;

	/* all of them up to 101, else the 0th..100th percentiles */
	qsort(v, n, sizeof(*v), cmp_u64);
	jsonw_name(w, key);
	jsonw_start_array(w);
	for (i = 0; i < m; i++) {
		k = m == n ? i : (n - 1) * i / 100;
		jsonw_float(w, "%.3f", v[k] > t0 ? (double)(v[k] - t0) / 1e6 : 0.0);
	}
	jsonw_end_array(w);
}

static void summary_counts(struct jsonw *w, const struct tl_out *o)
{
	const struct timeline *tl = o->tl;
	size_t i, c = 0;

	for (i = 0; i < tl->ntracks; i++)
		c += tl->tracks[i].kind == TL_COORD;
	jsonw_int_field(w, "schema_version", 1);
	jsonw_string_field(w, "topology", tl->topology);
	jsonw_uint_field(w, "coordinators", c);
	jsonw_uint_field(w, "agents", o->agents);
	jsonw_uint_field(w, "tracks_detailed", o->detailed);
	jsonw_uint_field(w, "stride", o->stride);
	jsonw_uint_field(w, "tasks", tl->ntasks);
	jsonw_uint_field(w, "lock_waits", tl->nlocks);
	jsonw_uint_field(w, "max_bytes", TL_MAX_BYTES);
	jsonw_uint_field(w, "dropped_events", o->dropped);
	jsonw_uint_field(w, "records_lost", tl->lost);
	jsonw_uint_field(w, "clipped", o->clipped);
	jsonw_float_field(w, "run_ms", "%.3f", (double)(tl->end - tl->t0) / 1e6);
}

/* The "swarm" object after the events, and the end of the frame. */
static int write_summary(struct tl_out *o)
{
	struct timeline *tl = o->tl;
	size_t n = tl->nprocs > tl->ntasks ? tl->nprocs : tl->ntasks, i, k = 0;
	uint64_t *v = malloc((n + 1) * sizeof(*v));
	struct jsonw w;

	if (!v)
		return -ENOMEM;
	fputs("\n],\"swarm\":", o->f);
	jsonw_init_file(&w, o->f);
	jsonw_start_object(&w);
	summary_counts(&w, o);
	for (i = 0; i < tl->nprocs; i++)
		if (tl->tracks[tl->procs[i].track].kind == TL_AGENT &&
		    (tl->procs[i].fork_ns || tl->procs[i].spawn_ns))
			v[k++] = tl_proc_start(tl, &tl->procs[i]);
	quantiles(&w, "spawn_ms", v, k, tl->t0);
	for (i = 0, k = 0; i < tl->ntasks; i++)
		if (tl->tasks[i].status == TS_OK)
			v[k++] = tl->tasks[i].answer_ns;
	quantiles(&w, "answer_ms", v, k, tl->t0);
	jsonw_end_object(&w);
	fputs("}\n", o->f);
	free(v);
	return jsonw_finish(&w);
}

int timeline_write(struct timeline *tl)
{
	struct tl_out o = { .tl = tl };
	int err;

	if (!tl || !tl->f)
		return 0;
	if (!tl->end)
		tl->end = now_ns();
	timeline_settle(tl);
	o.f = tl->f;
	o.u = open_memstream(&o.ubuf, &o.ulen);
	if (!o.u)
		return -errno;
	choose_detail(&o);
	o.bytes = (size_t)fprintf(o.f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
	write_meta(&o);
	err = write_counters(&o);
	if (!err)
		err = tl_write_slices(&o);
	if (!err)
		tl_write_flows(&o);
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
