/* Frame encoding and validation: the only code that trusts nothing read
 * back from a segment. */
#include <string.h>

#include "crc32.h"
#include "frame.h"
#include "swarm.h"

static uint32_t frame_crc(const struct frame_hdr *h, const void *payload)
{
	struct frame_hdr tmp = *h;

	tmp.crc = 0;
	return crc32_update(crc32_update(0, &tmp, sizeof(tmp)), payload, h->len);
}

void frame_encode(void *dst, const char *from, uint32_t type, uint64_t seq,
		  uint64_t ts_ns, const void *payload, uint32_t len)
{
	struct frame_hdr h;
	char *p = dst;
	uint64_t pad = frame_size(len) - FRAME_HDR_SIZE - len;

	memset(&h, 0, sizeof(h));
	h.magic = FRAME_MAGIC;
	h.len = len;
	h.type = type;
	h.seq = seq;
	h.ts_ns = ts_ns;
	memcpy(h.from, from, strnlen(from, sizeof(h.from)));
	if (len)
		memcpy(p + FRAME_HDR_SIZE, payload, len);
	memset(p + FRAME_HDR_SIZE + len, 0, pad);
	h.crc = frame_crc(&h, p + FRAME_HDR_SIZE);
	memcpy(p, &h, sizeof(h));
}

/* The sender field must be a valid name, NUL-padded to the end (a name of
 * the full 64 bytes has no NUL). */
static int from_valid(const char *from)
{
	size_t n = strnlen(from, NAME_MAX_LEN);
	size_t i;
	char name[NAME_MAX_LEN + 1];

	if (n == 0)
		return 0;
	for (i = n; i < NAME_MAX_LEN; i++)
		if (from[i])
			return 0;
	memcpy(name, from, n);
	name[n] = 0;
	return name_valid(name) == 0;
}

enum frame_status frame_check(const void *buf, size_t avail, uint32_t max_len,
			      uint64_t *size)
{
	struct frame_hdr h;

	if (avail < sizeof(h.magic)) {
		*size = FRAME_HDR_SIZE;
		return FRAME_SHORT;
	}
	memcpy(&h.magic, buf, sizeof(h.magic));
	if (h.magic != FRAME_MAGIC)
		return FRAME_BAD;
	if (avail < FRAME_HDR_SIZE) {
		*size = FRAME_HDR_SIZE;
		return FRAME_SHORT;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.len > max_len || h.type > MSG_TYPE_MAX || !from_valid(h.from))
		return FRAME_BAD;
	*size = frame_size(h.len);
	if (avail < *size)
		return FRAME_SHORT;
	if (frame_crc(&h, (const char *)buf + FRAME_HDR_SIZE) != h.crc)
		return FRAME_BAD;
	return FRAME_OK;
}
