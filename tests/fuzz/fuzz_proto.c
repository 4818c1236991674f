/* libFuzzer: the master <-> coordinator wire formats (coord_proto.h), the
 * lines a master trusts least after a crash. Byte 0 picks a decoder; the
 * rest, copied to an exact-size buffer (ASan sees any read past len), is
 * decoded. Whatever decodes must encode again and decode to the same
 * values (decode -> encode -> decode), and values built from the input
 * must survive encode -> decode. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coord_proto.h"
#include "tasks.h"

#define CAP (TASK_OUTPUT_MAX + 1024)

static char enc[CAP];

/* What a reason becomes on the wire: cut at NUL, CR/LF as spaces. */
static void wire_reason(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i + 1 < cap && in[i]; i++)
		out[i] = in[i] == '\n' || in[i] == '\r' ? ' ' : in[i];
	out[i] = 0;
}

static void same_result(const struct proto_result *a, const struct proto_result *b)
{
	char ra[sizeof(a->reason)], rb[sizeof(b->reason)];

	wire_reason(a->reason, ra, sizeof(ra));
	wire_reason(b->reason, rb, sizeof(rb));
	if (a->id != b->id || a->status != b->status || a->exit_code != b->exit_code ||
	    a->dur_us != b->dur_us || a->lat_us != b->lat_us ||
	    strcmp(a->agent, b->agent) || strcmp(ra, rb) || a->out_len != b->out_len ||
	    (a->out_len && memcmp(a->out, b->out, a->out_len)))
		abort();
}

static void fuzz_task(const char *buf, size_t len)
{
	const char *text, *text2;
	size_t tl, tl2;
	uint32_t id, id2;
	int n;

	if (proto_task_decode(buf, len, &id, &text, &tl))
		return;
	if (text < buf || text + tl != buf + len)
		abort();
	n = proto_task_encode(enc, CAP, id, text, tl);
	if (n < 0) {
		if (tl + 12 <= CAP)
			abort();
		return;
	}
	if (proto_task_decode(enc, (size_t)n, &id2, &text2, &tl2) || id2 != id ||
	    tl2 != tl || memcmp(text2, text, tl))
		abort();
}

static void fuzz_result(const char *buf, size_t len)
{
	struct proto_result a, b;
	int n;

	if (proto_result_decode(buf, len, &a))
		return;
	if (a.out < buf || a.out + a.out_len != buf + len || name_valid(a.agent) ||
	    a.status < TS_OK || a.status > TS_INTERRUPTED || memchr(a.reason, '\n', strlen(a.reason)))
		abort();
	n = proto_result_encode(enc, CAP, &a);
	if (n < 0) {
		if (a.out_len + 512 <= CAP)
			abort();
		return;
	}
	if (proto_result_decode(enc, (size_t)n, &b))
		abort();
	same_result(&a, &b);
}

static void fuzz_stats(const char *buf, size_t len)
{
	struct proto_stats a, b;
	int n;

	if (proto_stats_decode(buf, len, &a))
		return;
	n = proto_stats_encode(enc, CAP, &a);
	if (n < 0 || proto_stats_decode(enc, (size_t)n, &b) || memcmp(&a, &b, sizeof(a)))
		abort();
}

static void fuzz_hung(const char *buf, size_t len)
{
	char agent[NAME_MAX_LEN + 1], agent2[NAME_MAX_LEN + 1];
	uint32_t id, id2;
	int n;

	if (proto_hung_decode(buf, len, &id, agent))
		return;
	if (name_valid(agent))
		abort();
	n = proto_hung_encode(enc, CAP, id, agent);
	if (n < 0 || proto_hung_decode(enc, (size_t)n, &id2, agent2) || id2 != id ||
	    strcmp(agent, agent2))
		abort();
}

/* Structured values from the bytes: encode must give a decodable line. */
static void fuzz_encode(const uint8_t *d, size_t len)
{
	static const char chars[] = "abcXYZ019_-";
	struct proto_result a, b;
	size_t i, al, rl;
	uint64_t v = 0;
	int n;

	if (len < 16)
		return;
	for (i = 0; i < 8; i++)
		v = v << 8 | d[i];
	memset(&a, 0, sizeof(a));
	a.id = (uint32_t)v;
	a.status = TS_OK + d[8] % TS_INTERRUPTED;
	a.exit_code = (int)(int8_t)d[9] * (d[10] & 1 ? 1 : 1 << 20);
	a.dur_us = v >> (d[11] & 63);
	a.lat_us = v * d[12];
	al = 1 + d[13] % NAME_MAX_LEN;
	for (i = 0; i < al; i++)
		a.agent[i] = chars[(d[14] + i * 7) % (sizeof(chars) - 1)];
	d += 16;
	len -= 16;
	rl = len < sizeof(a.reason) - 1 ? len : sizeof(a.reason) - 1;
	rl = rl > (size_t)(v & 127) ? (size_t)(v & 127) : rl;
	memcpy(a.reason, d, rl);      /* any bytes: CR/LF/NUL included */
	a.out = (const char *)d + rl;
	a.out_len = (uint32_t)(len - rl);
	n = proto_result_encode(enc, CAP, &a);
	if (n < 0 || proto_result_decode(enc, (size_t)n, &b))
		abort();
	/* "-" is how an empty reason travels: a lone "-" reads back empty */
	if (!strcmp(a.reason, "-"))
		a.reason[0] = 0;
	same_result(&a, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t len;

	if (!size)
		return 0;
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);
	switch (data[0] % 5) {
	case 0: fuzz_task(buf, len); break;
	case 1: fuzz_result(buf, len); break;
	case 2: fuzz_stats(buf, len); break;
	case 3: fuzz_hung(buf, len); break;
	case 4: fuzz_encode(data + 1, len); break;
	}
	free(buf);
	return 0;
}
