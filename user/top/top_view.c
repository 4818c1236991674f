/* swarm top's views of a snapshot: the full screen (laid out for the
 * terminal's size, plain ASCII so a byte is a column), one line per
 * interval for pipes, and JSON lines. Pure functions of their inputs, so
 * the unit tests can check every layout. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "top.h"

#define MIN_COLS 20
#define MIN_ROWS 3
#define NARROW 60   /* below this many columns the states take two lines */

void top_rates(const struct top_snap *prev, const struct top_snap *cur,
	       struct top_rates *r)
{
	double dt;

	r->msgs_per_s = r->tasks_per_s = -1;
	/* The master's own clock: no skew from when the answers arrived. */
	if (!prev || prev->pid != cur->pid || cur->elapsed_ms <= prev->elapsed_ms)
		return;
	dt = (double)(cur->elapsed_ms - prev->elapsed_ms) / 1e3;
	if (cur->msgs >= prev->msgs)
		r->msgs_per_s = (double)(cur->msgs - prev->msgs) / dt;
	if (cur->done >= prev->done)
		r->tasks_per_s = (double)(cur->done - prev->done) / dt;
}

static double pct(const struct top_snap *s)
{
	return s->expected ? 100.0 * (double)s->delivered / (double)s->expected : 100.0;
}

static void fmt_dur(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%.1fs", (double)ms / 1e3);
	else if (s < 3600)
		snprintf(buf, len, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else
		snprintf(buf, len, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
}

static void fmt_rate(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, v < 100 ? "%.1f" : "%.0f", v);
}

/* --- the screen ----------------------------------------------------------- */

struct screen {
	char *buf;
	size_t cap, len;
	int cols, rows, lines;
};

/* Append one line cut to the width; 0, or -1 once the screen is full. */
static int line(struct screen *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int line(struct screen *sc, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	size_t n;
	int r;

	if (sc->lines >= sc->rows)
		return -1;
	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	n = r < 0 ? 0 : (size_t)r >= sizeof(tmp) ? sizeof(tmp) - 1 : (size_t)r;
	if (n > (size_t)sc->cols)
		n = (size_t)sc->cols;
	for (size_t i = 0; i < n; i++)   /* ASCII only: one byte, one column */
		if ((unsigned char)tmp[i] < 0x20 || (unsigned char)tmp[i] > 0x7e)
			tmp[i] = '?';
	if (sc->len + n + 2 > sc->cap)
		return -1;
	memcpy(sc->buf + sc->len, tmp, n);
	sc->len += n;
	sc->buf[sc->len++] = '\n';
	sc->buf[sc->len] = '\0';
	sc->lines++;
	return 0;
}

static void head(struct screen *sc, const struct top_snap *s, const struct top_rates *r,
		 const char *title)
{
	char el[32], mr[32], tr[32];
	const uint32_t *st = s->states;
	const char *who = s->hybrid ? "coordinators" : "agents";
	uint32_t total = 0;
	int i;

	for (i = 0; i < TOP_STATES; i++)
		total += st[i];
	fmt_dur(el, sizeof(el), s->elapsed_ms);
	fmt_rate(mr, sizeof(mr), r->msgs_per_s);
	fmt_rate(tr, sizeof(tr), r->tasks_per_s);
	line(sc, "swarm top %s  %s  elapsed %s  pid %d%s%s", title,
	     s->hybrid ? "hybrid" : "flat", el, (int)s->pid, s->paused ? "  PAUSED" : "",
	     s->final ? "  ENDED" : s->traced ? "  traced" : "");
	line(sc, "delivery %llu/%llu %.1f%%  failed %llu", (unsigned long long)s->delivered,
	     (unsigned long long)s->expected, pct(s), (unsigned long long)s->failed);
	line(sc, "msgs/s %s  tasks/s %s", mr, tr);
	if (sc->cols < NARROW) {
		line(sc, "%s %u: starting %u busy %u idle %u", who, total, st[0], st[1], st[2]);
		line(sc, "  hung %u exited %u failed %u", st[3], st[4], st[5]);
	} else {
		line(sc, "%s %u: starting %u  busy %u  idle %u  hung %u  exited %u  failed %u",
		     who, total, st[0], st[1], st[2], st[3], st[4], st[5]);
	}
}

/* [#####.....] over the whole width: delivered, failed (x), open. */
static void bar(struct screen *sc, const struct top_snap *s)
{
	char b[256];
	int w = sc->cols - 2, i, ok, bad;

	if (w > (int)sizeof(b) - 3)
		w = (int)sizeof(b) - 3;
	if (w < 4)
		return;
	ok = s->expected ? (int)((double)s->delivered * w / (double)s->expected) : w;
	bad = s->expected ? (int)((double)s->failed * w / (double)s->expected) : 0;
	b[0] = '[';
	for (i = 0; i < w; i++)
		b[i + 1] = i < ok ? '#' : i < ok + bad ? 'x' : '.';
	b[w + 1] = ']';
	b[w + 2] = '\0';
	line(sc, "%s", b);
}

static void slowest(struct screen *sc, const struct top_snap *s)
{
	char d[32];
	uint32_t i;

	if (s->hybrid)
		return;   /* the master does not see the workers' clocks */
	line(sc, "%s", "");
	line(sc, "SLOWEST (longest on their current task)");
	if (!s->nslow) {
		line(sc, "  no agent has a task");
		return;
	}
	line(sc, "  %-16s %8s %9s", "AGENT", "TASK", "RUNNING");
	for (i = 0; i < s->nslow; i++) {
		fmt_dur(d, sizeof(d), s->slow[i].running_ms);
		if (line(sc, "  %-16s %8u %9s", s->slow[i].agent, s->slow[i].task, d))
			return;
	}
}

static void coords(struct screen *sc, const struct top_snap *s)
{
	uint32_t i;

	if (!s->hybrid)
		return;
	line(sc, "%s", "");
	line(sc, "COORDINATORS (%u)", s->coords_total);
	line(sc, "  %-10s %8s %-7s %6s %6s %5s", "NAME", "PID", "STATE", "OPEN", "DONE", "HUNG");
	for (i = 0; i < s->ncoords; i++) {
		const struct top_coord *c = &s->coords[i];

		if (line(sc, "  %-10s %8d %-7s %6u %6u %5u", c->name, (int)c->pid,
			 c->alive ? "running" : "exited", c->open, c->done, c->hung))
			return;
	}
	if (s->coords_total > s->ncoords)
		line(sc, "  ... %u more", s->coords_total - s->ncoords);
}

static void locks(struct screen *sc, const struct top_snap *s)
{
	int pw = sc->cols - 2 - 9 - 1 - 9 - 1 - 9 - 1;   /* what the path may use */
	uint32_t i;

	line(sc, "%s", "");
	line(sc, "LOCK WAITS (lock files by total wait)");
	if (!s->nlocks) {
		line(sc, "  no lock waited on");
		return;
	}
	line(sc, "  %9s %9s %9s %s", "WAIT_MS", "MAX_US", "CONTENDED", "FILE");
	for (i = 0; i < s->nlocks; i++) {
		const struct top_lock *l = &s->locks[i];
		size_t pl = strlen(l->path);
		/* The end of a path says most: keep its tail. */
		const char *p = pw > 0 && pl > (size_t)pw ? l->path + pl - (size_t)pw : l->path;

		if (line(sc, "  %9.1f %9llu %9llu %s", (double)l->wait_us / 1e3,
			 (unsigned long long)l->max_us, (unsigned long long)l->contended, p))
			return;
	}
}

static void fds(struct screen *sc, const struct top_snap *s)
{
	uint32_t i;

	line(sc, "%s", "");
	line(sc, "FD GROWTH SUSPECTS");
	if (!s->nfds) {
		line(sc, "  no process grew its fd table");
		return;
	}
	line(sc, "  %-16s %8s %7s", "AGENT", "PID", "GROWTH");
	for (i = 0; i < s->nfds; i++)
		if (line(sc, "  %-16s %8d %+7lld%s", s->fds[i].agent, (int)s->fds[i].pid,
			 (long long)s->fds[i].growth, s->fds[i].exited ? " exited" : ""))
			return;
}

size_t top_view_screen(const struct top_snap *s, const struct top_rates *r,
		       const char *title, const char *note, int cols, int rows,
		       char *buf, size_t cap)
{
	struct screen sc = { .buf = buf, .cap = cap };

	if (!cap)
		return 0;
	buf[0] = '\0';
	if (cols < MIN_COLS || rows < MIN_ROWS) {
		/* Too small for anything else: the one number that matters. */
		sc.cols = cols > 0 ? cols : 0;
		sc.rows = rows > 0 ? 1 : 0;
		line(&sc, "%llu/%llu", (unsigned long long)s->delivered,
		     (unsigned long long)s->expected);
		return sc.len;
	}
	sc.cols = cols;
	sc.rows = rows - 1;   /* the last row is the footer's */
	head(&sc, s, r, title);
	bar(&sc, s);
	coords(&sc, s);
	slowest(&sc, s);
	if (s->traced) {
		locks(&sc, s);
		fds(&sc, s);
	} else {
		line(&sc, "%s", "");
		line(&sc, "lock waits, fd growth: run not traced (needs root)");
	}
	sc.rows = rows;
	line(&sc, "%s", note && *note ? note : "q quit");
	return sc.len;
}

/* --- pipes ---------------------------------------------------------------- */

static void iso_time(char *buf, size_t len, uint64_t wall)
{
	time_t t = (time_t)(wall / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

void top_view_line(FILE *f, const struct top_snap *s, const struct top_rates *r,
		   uint64_t wall)
{
	char ts[32], mr[32];
	int i;

	iso_time(ts, sizeof(ts), wall);
	fmt_rate(mr, sizeof(mr), r->msgs_per_s);
	fputs(ts, f);
	for (i = 0; i < TOP_STATES; i++)
		fprintf(f, " %s %u", top_state_names[i], s->states[i]);
	fprintf(f, " msgs/s %s delivery %llu/%llu %.1f%%%s\n", mr,
		(unsigned long long)s->delivered, (unsigned long long)s->expected,
		pct(s), s->paused ? " paused" : "");
}

/* Rates not known yet (negative) are null. */
static void rate_json(struct jsonw *w, const char *key, double v)
{
	if (v < 0)
		jsonw_null_field(w, key);
	else
		jsonw_float_field(w, key, "%.3f", v);
}

static void slowest_json(struct jsonw *w, const struct top_snap *s)
{
	uint32_t i;

	jsonw_name(w, "slowest");
	jsonw_start_array(w);
	for (i = 0; i < s->nslow; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "agent", s->slow[i].agent);
		jsonw_uint_field(w, "task", s->slow[i].task);
		jsonw_float_field(w, "running_s", "%.3f", (double)s->slow[i].running_ms / 1e3);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void coords_json(struct jsonw *w, const struct top_snap *s)
{
	uint32_t i;

	jsonw_name(w, "coordinators");
	jsonw_start_array(w);
	for (i = 0; i < s->ncoords; i++) {
		const struct top_coord *c = &s->coords[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "name", c->name);
		jsonw_int_field(w, "pid", c->pid);
		jsonw_string_field(w, "state", c->alive ? "running" : "exited");
		jsonw_uint_field(w, "open", c->open);
		jsonw_uint_field(w, "done", c->done);
		jsonw_uint_field(w, "hung", c->hung);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void locks_json(struct jsonw *w, const struct top_snap *s)
{
	uint32_t i;

	jsonw_name(w, "locks");
	jsonw_start_array(w);
	for (i = 0; i < s->nlocks; i++) {
		const struct top_lock *l = &s->locks[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "path", l->path);
		jsonw_uint_field(w, "wait_us", l->wait_us);
		jsonw_uint_field(w, "max_us", l->max_us);
		jsonw_uint_field(w, "contended", l->contended);
		jsonw_uint_field(w, "acquisitions", l->acquisitions);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void fds_json(struct jsonw *w, const struct top_snap *s)
{
	uint32_t i;

	jsonw_name(w, "fd_suspects");
	jsonw_start_array(w);
	for (i = 0; i < s->nfds; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "agent", s->fds[i].agent);
		jsonw_int_field(w, "pid", s->fds[i].pid);
		jsonw_int_field(w, "growth", s->fds[i].growth);
		jsonw_bool_field(w, "exited", s->fds[i].exited);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void run_json(struct jsonw *w, const struct top_snap *s, uint64_t wall)
{
	char ts[32];
	int i;

	iso_time(ts, sizeof(ts), wall);
	jsonw_int_field(w, "schema_version", 1);
	jsonw_string_field(w, "time", ts);
	jsonw_int_field(w, "pid", s->pid);
	jsonw_string_field(w, "topology", s->hybrid ? "hybrid" : "flat");
	jsonw_bool_field(w, "paused", s->paused);
	jsonw_bool_field(w, "traced", s->traced);
	jsonw_bool_field(w, "final", s->final);
	jsonw_float_field(w, "elapsed_s", "%.3f", (double)s->elapsed_ms / 1e3);
	jsonw_name(w, "states");
	jsonw_start_object(w);
	for (i = 0; i < TOP_STATES; i++)
		jsonw_uint_field(w, top_state_names[i], s->states[i]);
	jsonw_end_object(w);
	jsonw_uint_field(w, "expected", s->expected);
	jsonw_uint_field(w, "done", s->done);
	jsonw_uint_field(w, "delivered", s->delivered);
	jsonw_uint_field(w, "failed", s->failed);
	jsonw_float_field(w, "delivery_pct", "%.1f", pct(s));
	jsonw_uint_field(w, "msgs", s->msgs);
}

void top_view_json(FILE *f, const struct top_snap *s, const struct top_rates *r,
		   uint64_t wall)
{
	struct jsonw w;

	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	run_json(&w, s, wall);
	rate_json(&w, "msgs_per_s", r->msgs_per_s);
	rate_json(&w, "tasks_per_s", r->tasks_per_s);
	slowest_json(&w, s);
	coords_json(&w, s);
	locks_json(&w, s);
	fds_json(&w, s);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
