/* Master <-> coordinator payload formats (see coord_proto.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_proto.h"
#include "tasks.h"

/* Parse a decimal u64 from [*p, end) up to a single space (or end). */
static int take_u64(const char **p, const char *end, uint64_t *out, int last)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EBADMSG;
	while (s < end && *s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');

		/* Exact: every u64 an encoder prints must read back (the old
		 * "v > (MAX - 9) / 10" refused the top ~9e18..1.8e19). */
		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return -EBADMSG;
		v = v * 10 + d;
		s++;
	}
	if (!last) {
		if (s >= end || *s != ' ')
			return -EBADMSG;
		s++;
	} else if (s != end) {
		return -EBADMSG;
	}
	*p = s;
	*out = v;
	return 0;
}

static int take_i64(const char **p, const char *end, int64_t *out)
{
	int neg = 0;
	uint64_t v;
	int err;

	if (*p < end && **p == '-') {
		neg = 1;
		(*p)++;
	}
	err = take_u64(p, end, &v, 0);
	if (err || v > INT32_MAX)
		return -EBADMSG;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* A name token up to a space: [A-Za-z0-9_-]{1,64}. */
static int take_name(const char **p, const char *end, char *out)
{
	const char *s = *p, *sp = memchr(s, ' ', (size_t)(end - s));
	size_t l;

	if (!sp)
		return -EBADMSG;
	l = (size_t)(sp - s);
	if (!l || l > NAME_MAX_LEN)
		return -EBADMSG;
	memcpy(out, s, l);
	out[l] = 0;
	if (name_valid(out))
		return -EBADMSG;
	*p = sp + 1;
	return 0;
}

int proto_task_encode(char *buf, size_t cap, uint32_t id, const char *text,
		      size_t len)
{
	int n = snprintf(buf, cap, "%u\n", id);

	if (n < 0 || (size_t)n + len > cap)
		return -ENOSPC;
	memcpy(buf + n, text, len);
	return n + (int)len;
}

int proto_task_decode(const void *data, size_t len, uint32_t *id,
		      const char **text, size_t *text_len)
{
	const char *s = data, *end = s + len, *nl = memchr(s, '\n', len);
	uint64_t v;

	if (!nl || take_u64(&s, nl, &v, 1) || v > UINT32_MAX)
		return -EBADMSG;
	*id = (uint32_t)v;
	*text = nl + 1;
	*text_len = (size_t)(end - (nl + 1));
	return 0;
}

int proto_result_encode(char *buf, size_t cap, const struct proto_result *r)
{
	char reason[sizeof(r->reason)];
	size_t i;
	int n;

	snprintf(reason, sizeof(reason), "%s", r->reason[0] ? r->reason : "-");
	for (i = 0; reason[i]; i++)
		if (reason[i] == '\n' || reason[i] == '\r')
			reason[i] = ' ';
	n = snprintf(buf, cap, "%u %d %d %llu %llu %s %s\n", r->id, r->status,
		     r->exit_code, (unsigned long long)r->dur_us,
		     (unsigned long long)r->lat_us, r->agent, reason);
	if (n < 0 || (size_t)n + r->out_len > cap)
		return -ENOSPC;
	if (r->out_len)
		memcpy(buf + n, r->out, r->out_len);
	return n + (int)r->out_len;
}

int proto_result_decode(const void *data, size_t len, struct proto_result *r)
{
	const char *s = data, *end = s + len, *nl = memchr(s, '\n', len);
	uint64_t v;
	int64_t iv;
	size_t rl;

	memset(r, 0, sizeof(*r));
	if (!nl)
		return -EBADMSG;
	if (take_u64(&s, nl, &v, 0) || v > UINT32_MAX)
		return -EBADMSG;
	r->id = (uint32_t)v;
	if (take_u64(&s, nl, &v, 0) || v < TS_OK || v > TS_INTERRUPTED)
		return -EBADMSG;
	r->status = (int)v;
	if (take_i64(&s, nl, &iv))
		return -EBADMSG;
	r->exit_code = (int)iv;
	if (take_u64(&s, nl, &r->dur_us, 0) || take_u64(&s, nl, &r->lat_us, 0))
		return -EBADMSG;
	if (take_name(&s, nl, r->agent))
		return -EBADMSG;
	rl = (size_t)(nl - s);
	if (!rl || rl >= sizeof(r->reason))
		return -EBADMSG;
	memcpy(r->reason, s, rl);
	r->reason[rl] = 0;
	if (!strcmp(r->reason, "-"))
		r->reason[0] = 0;
	r->out = nl + 1;
	r->out_len = (uint32_t)(end - (nl + 1));
	return 0;
}

int proto_stats_encode(char *buf, size_t cap, const struct proto_stats *s)
{
	int n = snprintf(buf, cap, "stats %llu %llu %llu %llu %llu %llu",
			 (unsigned long long)s->spawned,
			 (unsigned long long)s->spawn_end_wall_ns,
			 (unsigned long long)s->msgs,
			 (unsigned long long)s->fds_peak,
			 (unsigned long long)s->rss_kb,
			 (unsigned long long)s->agents_rss_kb);

	return (n < 0 || (size_t)n >= cap) ? -ENOSPC : n;
}

int proto_stats_decode(const void *data, size_t len, struct proto_stats *s)
{
	const char *p = data, *end = p + len;

	if (len < 6 || memcmp(p, "stats ", 6))
		return -EBADMSG;
	p += 6;
	if (take_u64(&p, end, &s->spawned, 0) ||
	    take_u64(&p, end, &s->spawn_end_wall_ns, 0) ||
	    take_u64(&p, end, &s->msgs, 0) || take_u64(&p, end, &s->fds_peak, 0) ||
	    take_u64(&p, end, &s->rss_kb, 0) ||
	    take_u64(&p, end, &s->agents_rss_kb, 1))
		return -EBADMSG;
	return 0;
}

int proto_hung_encode(char *buf, size_t cap, uint32_t id, const char *agent)
{
	int n = snprintf(buf, cap, "hung %u %s", id, agent);

	return (n < 0 || (size_t)n >= cap) ? -ENOSPC : n;
}

int proto_hung_decode(const void *data, size_t len, uint32_t *id, char *agent)
{
	const char *p = data, *end = p + len;
	uint64_t v;
	size_t l;

	if (len < 5 || memcmp(p, "hung ", 5))
		return -EBADMSG;
	p += 5;
	if (take_u64(&p, end, &v, 0) || v > UINT32_MAX)
		return -EBADMSG;
	l = (size_t)(end - p);
	if (!l || l > NAME_MAX_LEN)
		return -EBADMSG;
	memcpy(agent, p, l);
	agent[l] = 0;
	if (name_valid(agent))
		return -EBADMSG;
	*id = (uint32_t)v;
	return 0;
}

/* Decimal without sign or leading zero, 1..UINT32_MAX, the whole of [s, end). */
static int take_worker_no(const char *s, const char *end, uint32_t *n)
{
	uint64_t v;

	if (s >= end || *s == '0' || take_u64(&s, end, &v, 1) || v > UINT32_MAX)
		return -EBADMSG;
	*n = (uint32_t)v;
	return 0;
}

int proto_worker_of(const char *name, const char *coord, uint32_t *n)
{
	size_t pl = strlen(coord), l = strlen(name);

	if (l <= pl + 2 || strncmp(name, coord, pl) || strncmp(name + pl, "-w", 2))
		return -EBADMSG;
	return take_worker_no(name + pl + 2, name + l, n);
}

int proto_journal_encode(char *buf, size_t cap, const char *worker, uint32_t id)
{
	int n = snprintf(buf, cap, "%s %u\n", worker, id);

	return (n < 0 || (size_t)n >= cap) ? -ENOSPC : n;
}

int proto_journal_decode(const char *line, size_t len, const char *coord,
			 uint32_t *worker, uint32_t *id)
{
	const char *end = line + len, *p = line, *sp;
	size_t pl = strlen(coord);
	uint64_t v;

	if (len && end[-1] == '\n')
		end--;
	sp = memchr(line, ' ', (size_t)(end - line));
	if (!sp || (size_t)(sp - line) <= pl + 2 || (size_t)(sp - line) > NAME_MAX_LEN ||
	    memcmp(line, coord, pl) || memcmp(line + pl, "-w", 2))
		return -EBADMSG;
	if (take_worker_no(line + pl + 2, sp, worker))
		return -EBADMSG;
	p = sp + 1;
	/* canonical only, as the encoder writes it: "0" but no "007" */
	if ((end - p > 1 && *p == '0') || take_u64(&p, end, &v, 1) || v > UINT32_MAX)
		return -EBADMSG;
	*id = (uint32_t)v;
	return 0;
}
