/* swarm top's snapshot on the wire (format in user/top/top.h). The decoder
 * reads a frame that any process able to write the bus could have sent:
 * every token is checked, nothing is assumed from the encoder. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "top.h"

const char *const top_state_names[TOP_STATES] = {
	"starting", "busy", "idle", "hung", "exited", "failed",
};

struct out {
	char *buf;
	size_t cap, len;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

/* A lock path goes last on its line: no newline may be in it. */
static int path_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static void put_lists(struct out *o, const struct top_snap *s)
{
	uint32_t i;

	for (i = 0; i < s->nslow && i < TOP_MAX_SLOW; i++)
		put(o, "slow %s %u %llu\n", s->slow[i].agent, s->slow[i].task,
		    (unsigned long long)s->slow[i].running_ms);
	for (i = 0; i < s->ncoords && i < TOP_MAX_COORDS; i++) {
		const struct top_coord *c = &s->coords[i];

		put(o, "coord %s %d %u %u %u %u\n", c->name, (int)c->pid, c->alive,
		    c->open, c->done, c->hung);
	}
	if (s->hybrid)
		put(o, "coords %u\n", s->coords_total);
	for (i = 0; i < s->nlocks && i < TOP_MAX_LOCKS; i++) {
		const struct top_lock *l = &s->locks[i];

		put(o, "lock %llu %llu %llu %llu %s\n", (unsigned long long)l->wait_us,
		    (unsigned long long)l->max_us, (unsigned long long)l->contended,
		    (unsigned long long)l->acquisitions,
		    path_ok(l->path) && l->path[0] ? l->path : "?");
	}
	for (i = 0; i < s->nfds && i < TOP_MAX_FDS; i++)
		put(o, "fd %s %d %lld %u\n", s->fds[i].agent[0] ? s->fds[i].agent : "-",
		    (int)s->fds[i].pid, (long long)s->fds[i].growth, s->fds[i].exited);
}

int top_snap_encode(const struct top_snap *s, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	const uint32_t *st = s->states;

	if (!cap)
		return -ENOSPC;
	buf[0] = '\0';
	put(&o, "swarm-top %d %u\n", TOP_PROTO_VERSION, s->seq);
	put(&o, "run %d %s %u %u %llu %llu %llu %llu %llu %llu\n", (int)s->pid,
	    s->hybrid ? "hybrid" : "flat", !!s->paused, !!s->traced,
	    (unsigned long long)s->elapsed_ms, (unsigned long long)s->expected,
	    (unsigned long long)s->done, (unsigned long long)s->delivered,
	    (unsigned long long)s->failed, (unsigned long long)s->msgs);
	put(&o, "states %u %u %u %u %u %u\n", st[0], st[1], st[2], st[3], st[4], st[5]);
	put_lists(&o, s);
	if (s->final)
		put(&o, "final\n");
	put(&o, "end\n");
	return o.full ? -ENOSPC : (int)o.len;
}

/* --- decoding ------------------------------------------------------------- */

struct in {
	const char *p, *end;      /* the current line, without its '\n' */
	int bad;                  /* a separator with nothing after it */
};

/* The next space-separated token of the line; 0 if there is none. */
static int tok(struct in *l, const char **t, size_t *n)
{
	const char *q;

	if (l->p >= l->end)
		return 0;
	for (q = l->p; q < l->end && *q != ' '; q++)
		;
	*t = l->p;
	*n = (size_t)(q - l->p);
	l->p = q < l->end ? q + 1 : q;
	if (q < l->end && l->p == l->end)
		l->bad = 1;
	return *n > 0;
}

/* Decimal digits only, no sign, no overflow, at most max. */
static int tok_u64(struct in *l, uint64_t max, uint64_t *v)
{
	const char *t;
	size_t n, i;
	uint64_t x = 0;

	if (!tok(l, &t, &n) || n > 20)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(t[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		x = x * 10 + d;
	}
	if (x > max)
		return -EBADMSG;
	*v = x;
	return 0;
}

static int tok_u32(struct in *l, uint32_t max, uint32_t *v)
{
	uint64_t x;
	int err = tok_u64(l, max, &x);

	if (!err)
		*v = (uint32_t)x;
	return err;
}

static int tok_i64(struct in *l, int64_t *v)
{
	uint64_t x;
	int neg = l->p < l->end && *l->p == '-', err;

	l->p += neg;
	err = tok_u64(l, (uint64_t)INT64_MAX, &x);
	if (!err)
		*v = neg ? -(int64_t)x : (int64_t)x;
	return err;
}

static int tok_word(struct in *l, const char *w)
{
	const char *t;
	size_t n;

	return tok(l, &t, &n) && n == strlen(w) && !memcmp(t, w, n) ? 0 : -EBADMSG;
}

/* A bus name ([A-Za-z0-9_-]{1,64}), or "-" where allow_dash. */
static int tok_name(struct in *l, char *out, int allow_dash)
{
	const char *t;
	size_t n;

	if (!tok(l, &t, &n) || n > NAME_MAX_LEN)
		return -EBADMSG;
	memcpy(out, t, n);
	out[n] = '\0';
	if (allow_dash && !strcmp(out, "-"))
		return 0;
	return name_valid(out) ? -EBADMSG : 0;
}

static int at_end(const struct in *l)
{
	return l->p == l->end && !l->bad ? 0 : -EBADMSG;
}

static int dec_run(struct in *l, struct top_snap *s)
{
	const char *t;
	size_t n;
	uint64_t pid;
	int err;

	if (tok_u64(l, INT32_MAX, &pid) || !tok(l, &t, &n))
		return -EBADMSG;
	s->pid = (int32_t)pid;
	if (n == 6 && !memcmp(t, "hybrid", 6))
		s->hybrid = 1;
	else if (!(n == 4 && !memcmp(t, "flat", 4)))
		return -EBADMSG;
	if ((err = tok_u32(l, 1, &s->paused)) || (err = tok_u32(l, 1, &s->traced)) ||
	    (err = tok_u64(l, UINT64_MAX, &s->elapsed_ms)) ||
	    (err = tok_u64(l, UINT32_MAX, &s->expected)) ||
	    (err = tok_u64(l, s->expected, &s->done)) ||
	    (err = tok_u64(l, s->done, &s->delivered)) ||
	    (err = tok_u64(l, s->done - s->delivered, &s->failed)) ||
	    (err = tok_u64(l, UINT64_MAX, &s->msgs)))
		return err;
	return at_end(l);
}

static int dec_states(struct in *l, struct top_snap *s)
{
	int i, err;

	for (i = 0; i < TOP_STATES; i++)
		if ((err = tok_u32(l, 10000000, &s->states[i])))
			return err;
	return at_end(l);
}

static int dec_slow(struct in *l, struct top_snap *s)
{
	struct top_slow *w;

	if (s->nslow >= TOP_MAX_SLOW)
		return -EBADMSG;
	w = &s->slow[s->nslow];
	if (tok_name(l, w->agent, 0) || tok_u32(l, UINT32_MAX, &w->task) ||
	    tok_u64(l, UINT64_MAX, &w->running_ms))
		return -EBADMSG;
	s->nslow++;
	return at_end(l);
}

static int dec_coord(struct in *l, struct top_snap *s)
{
	struct top_coord *c;
	uint64_t pid;

	if (!s->hybrid || s->ncoords >= TOP_MAX_COORDS)
		return -EBADMSG;
	c = &s->coords[s->ncoords];
	if (tok_name(l, c->name, 0) || tok_u64(l, INT32_MAX, &pid) ||
	    tok_u32(l, 1, &c->alive) || tok_u32(l, UINT32_MAX, &c->open) ||
	    tok_u32(l, UINT32_MAX, &c->done) || tok_u32(l, UINT32_MAX, &c->hung))
		return -EBADMSG;
	c->pid = (int32_t)pid;
	s->ncoords++;
	return at_end(l);
}

static int dec_lock(struct in *l, struct top_snap *s)
{
	struct top_lock *k;
	size_t n;

	if (s->nlocks >= TOP_MAX_LOCKS)
		return -EBADMSG;
	k = &s->locks[s->nlocks];
	if (tok_u64(l, UINT64_MAX, &k->wait_us) || tok_u64(l, UINT64_MAX, &k->max_us) ||
	    tok_u64(l, UINT64_MAX, &k->contended) ||
	    tok_u64(l, UINT64_MAX, &k->acquisitions))
		return -EBADMSG;
	if (k->contended > k->acquisitions)
		return -EBADMSG;
	n = (size_t)(l->end - l->p);
	if (!n || n >= sizeof(k->path))
		return -EBADMSG;
	memcpy(k->path, l->p, n);
	k->path[n] = '\0';
	if (!path_ok(k->path) || strlen(k->path) != n)
		return -EBADMSG;
	l->p = l->end;
	s->nlocks++;
	return 0;
}

static int dec_fd(struct in *l, struct top_snap *s)
{
	struct top_fd *f;
	uint64_t pid;

	if (s->nfds >= TOP_MAX_FDS)
		return -EBADMSG;
	f = &s->fds[s->nfds];
	if (tok_name(l, f->agent, 1) || tok_u64(l, INT32_MAX, &pid) ||
	    tok_i64(l, &f->growth) || tok_u32(l, 1, &f->exited))
		return -EBADMSG;
	f->pid = (int32_t)pid;
	s->nfds++;
	return at_end(l);
}

/* One line after the run and states lines: a list item, or "end". */
static int dec_item(struct in *l, struct top_snap *s, int *ended)
{
	const char *t;
	size_t n;

	if (!tok(l, &t, &n))
		return -EBADMSG;
#define IS(w) (n == sizeof(w) - 1 && !memcmp(t, w, n))
	if (IS("slow"))
		return dec_slow(l, s);
	if (IS("coord"))
		return dec_coord(l, s);
	if (IS("coords"))
		return s->hybrid && !tok_u32(l, 1000000, &s->coords_total) ? at_end(l)
		       : -EBADMSG;
	if (IS("lock"))
		return dec_lock(l, s);
	if (IS("fd"))
		return dec_fd(l, s);
	if (IS("final")) {
		if (s->final)
			return -EBADMSG;
		s->final = 1;
		return at_end(l);
	}
	if (IS("end")) {
		*ended = 1;
		return at_end(l);
	}
#undef IS
	return -EBADMSG;
}

int top_snap_decode(const void *data, size_t len, struct top_snap *s)
{
	const char *p = data, *end;
	struct in l;
	int line = 0, ended = 0, err = 0;

	memset(s, 0, sizeof(*s));
	if (!data || len > TOP_SNAP_MAX || memchr(p, '\0', len))
		return -EBADMSG;
	end = p + len;
	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || ended)
			return -EBADMSG;   /* a line without '\n', or after "end" */
		l = (struct in){ p, nl, 0 };
		if (line == 0) {
			uint32_t v;

			err = tok_word(&l, "swarm-top") || tok_u32(&l, UINT32_MAX, &v) ||
			      v != TOP_PROTO_VERSION || tok_u32(&l, UINT32_MAX, &s->seq)
			      ? -EBADMSG : at_end(&l);
		} else if (line == 1) {
			err = tok_word(&l, "run") ? -EBADMSG : dec_run(&l, s);
		} else if (line == 2) {
			err = tok_word(&l, "states") ? -EBADMSG : dec_states(&l, s);
		} else {
			err = dec_item(&l, s, &ended);
		}
		line++;
		p = nl + 1;
	}
	if (err || !ended || s->coords_total < s->ncoords)
		return -EBADMSG;
	return 0;
}

void top_slow_offer(struct top_snap *s, const char *agent, uint32_t task,
		    uint64_t running_ms)
{
	uint32_t i = s->nslow < TOP_MAX_SLOW ? s->nslow : TOP_MAX_SLOW - 1;

	if (s->nslow == TOP_MAX_SLOW && s->slow[i].running_ms >= running_ms)
		return;
	/* Insertion from the end: the list stays sorted, longest first. */
	for (; i > 0 && s->slow[i - 1].running_ms < running_ms; i--)
		s->slow[i] = s->slow[i - 1];
	snprintf(s->slow[i].agent, sizeof(s->slow[i].agent), "%s", agent);
	s->slow[i].task = task;
	s->slow[i].running_ms = running_ms;
	if (s->nslow < TOP_MAX_SLOW)
		s->nslow++;
}
