/* libFuzzer: the small parsers of outside input that have no harness of
 * their own. Byte 0 picks one; the rest is its input.
 *   0  a coordinator's journal line (what the master reads to salvage a
 *      dead coordinator): decode must accept exactly the canonical lines
 *      its encoder writes, and worker names the same way
 *   1  msg_type_parse (--type)
 *   2  parse_u64, against a reference digit-by-digit parse
 *   3  parse_seconds (--timeout, --wait, --heartbeat)
 *   4  parse_bytes (--max-bytes)
 *   5  nm_url_valid (--bus nats://...)
 *   6  the swarm-shape options of run/soak (run_shape_opt + run_shape_check)
 * Run with -close_fd_mask=2: the shape checks print their usage errors. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coord_proto.h"
#include "nats_mesh.h"
#include "run_args.h"
#include "swarm.h"

static void fuzz_journal(const char *s, size_t len, unsigned pick)
{
	static const char *const coords[] = { "c1", "c2r1", "c10", "c1r3" };
	const char *coord = coords[pick % 4];
	char enc[NAME_MAX_LEN + 32], name[NAME_MAX_LEN + 1];
	uint32_t w, id, w2;
	size_t el;
	int n;

	if (!proto_journal_decode(s, len, coord, &w, &id)) {
		if (!w || (size_t)snprintf(name, sizeof(name), "%s-w%u", coord, w) >= sizeof(name))
			abort();
		n = proto_journal_encode(enc, sizeof(enc), name, id);
		el = (size_t)n;
		/* canonical: the input is the encoder's line, '\n' optional */
		if (n < 0 || !(len == el || len == el - 1) || memcmp(s, enc, len))
			abort();
		if (proto_worker_of(name, coord, &w2) || w2 != w)
			abort();
	}
	/* the same bytes as a sender's name (NUL-terminated here) */
	if (len < 80 && !memchr(s, 0, len)) {
		memcpy(name, s, len < NAME_MAX_LEN ? len : NAME_MAX_LEN);
		name[len < NAME_MAX_LEN ? len : NAME_MAX_LEN] = 0;
		if (!proto_worker_of(name, coord, &w)) {
			char again[NAME_MAX_LEN + 16];

			snprintf(again, sizeof(again), "%s-w%u", coord, w);
			if (!w || strcmp(again, name))
				abort();
		}
	}
}

static void fuzz_type(const char *s)
{
	int t = msg_type_parse(s);

	if (t < -1 || t > MSG_TYPE_MAX)
		abort();
	if (t >= 0 && (s[0] < '0' || s[0] > '9') && s[0] != '+' && strcmp(msg_type_name((unsigned)t), s))
		abort();
	if (t == -1) {
		unsigned i;

		for (i = 0; i <= MSG_TYPE_MAX; i++)
			if (!strcmp(msg_type_name(i), s))
				abort();
	}
}

static void fuzz_u64(const char *s)
{
	uint64_t v, ref = 0;
	const char *p = s;
	int ok = *p != 0, over = 0;

	if (*p == '+')
		p++;
	if (!*p)
		ok = 0;
	for (; *p && ok; p++) {
		if (*p < '0' || *p > '9') {
			ok = 0;
			break;
		}
		if (ref > UINT64_MAX / 10 || ref * 10 > UINT64_MAX - (uint64_t)(*p - '0'))
			over = 1;
		ref = ref * 10 + (uint64_t)(*p - '0');
	}
	if (parse_u64(s, &v) == 0) {
		if (!ok || over || v != ref)
			abort();
	} else if (ok && !over) {
		abort();
	}
}

static void fuzz_seconds(const char *s)
{
	double v;

	if (parse_seconds(s, &v) == 0 && (!(v >= 0) || v > 1e9 || !isfinite(v)))
		abort();
}

static void fuzz_bytes(const char *s)
{
	uint64_t v, head;
	char *end;

	if (parse_bytes(s, &v))
		return;
	/* the number part, then a unit that multiplies without overflow */
	head = strtoull(s, &end, 10);
	if (end == s || s[0] == '-' || (head && v % head) ||
	    (head && v / head != 1 && v / head != 1ull << 10 && v / head != 1ull << 20 &&
	     v / head != 1ull << 30) || (!head && v))
		abort();
}

static void fuzz_url(const char *s)
{
	const char *p;

	if (nm_url_valid(s))
		return;
	if (!nm_is_url(s) || strlen(s) >= NM_URL_MAX)
		abort();
	for (p = s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			abort();
}

static void fuzz_shape(const uint8_t *d, size_t len)
{
	static const int codes[] = { 'n', RUN_OPT_TOPO, RUN_OPT_COORDS, RUN_OPT_WORKERS,
		RUN_OPT_MAXP, RUN_OPT_TASKS, RUN_OPT_STDIN, RUN_OPT_TIMEOUT,
		RUN_OPT_HB, RUN_OPT_LOGS };
	char args[16][64];
	struct run_opts o;
	struct run_shape sh = { .cmd = "run", .o = &o };
	size_t i = 0, k = 0, l;
	int r;

	memset(&o, 0, sizeof(o));
	o.timeout_s = 600;
	while (i + 1 < len && k < 16) {
		int c = codes[d[i] % 10];

		l = d[i + 1] % 63;
		i += 2;
		if (l > len - i)
			l = len - i;
		memcpy(args[k], d + i, l);
		args[k][l] = 0;
		i += l;
		r = run_shape_opt(&sh, c, args[k]);
		k++;
		if (r < 0)
			return;
		if (r != 1)
			abort();
	}
	if (run_shape_check(&sh))
		return;
	if (!(o.timeout_s > 0) || (o.task_stdin && !o.tasks_file) || !o.n ||
	    o.n > COORD_MAX_AGENTS)
		abort();
	if (o.hybrid && (!o.coordinators || !o.workers ||
			 (uint64_t)o.coordinators * o.workers != o.n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t len;

	if (!size)
		return 0;
	len = size - 1;
	/* exact size, no terminator, for the length-taking decoder */
	s = malloc(len ? len : 1);
	if (!s)
		abort();
	memcpy(s, data + 1, len);
	if (data[0] % 8 == 0) {
		fuzz_journal(s, len, data[0] / 8);
		free(s);
		return 0;
	}
	free(s);
	if (data[0] % 8 == 6 || data[0] % 8 == 7) {
		fuzz_shape(data + 1, len);
		return 0;
	}
	/* the string parsers take C strings */
	s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, data + 1, len);
	s[len] = 0;
	switch (data[0] % 8) {
	case 1: fuzz_type(s); break;
	case 2: fuzz_u64(s); break;
	case 3: fuzz_seconds(s); break;
	case 4: fuzz_bytes(s); break;
	case 5: fuzz_url(s); break;
	}
	free(s);
	return 0;
}
