/* The on-disk frame of the bus: one record of an inbox segment.
 *
 *   magic len crc type | seq | ts_ns | from[64] | payload | pad to 8
 *
 * crc is CRC-32 (zlib's polynomial, user/base/crc32.h) over the 96-byte
 * header (crc field zero) and the payload, so a torn, truncated or flipped frame never validates. */
#ifndef SWARM_FRAME_H
#define SWARM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FRAME_MAGIC 0x4d525753u /* "SWRM" little-endian */

struct frame_hdr {
	uint32_t magic;
	uint32_t len;
	uint32_t crc;
	uint32_t type;
	uint64_t seq;
	uint64_t ts_ns;
	char from[NAME_MAX_LEN];
};

#define FRAME_HDR_SIZE ((uint32_t)sizeof(struct frame_hdr))

static inline uint64_t frame_size(uint32_t len)
{
	return FRAME_HDR_SIZE + (((uint64_t)len + 7) & ~7ull);
}

/* Encode header + payload + zero pad at dst (frame_size(len) bytes). */
void frame_encode(void *dst, const char *from, uint32_t type, uint64_t seq,
		  uint64_t ts_ns, const void *payload, uint32_t len);

enum frame_status {
	FRAME_OK = 1,       /* a whole, valid frame; *size set */
	FRAME_SHORT = 0,    /* plausible so far, more bytes needed; *size = need */
	FRAME_BAD = -1,     /* corrupt: bad magic, length, name or crc */
};

/* Check the frame at buf with avail bytes. max_len bounds the payload. */
enum frame_status frame_check(const void *buf, size_t avail, uint32_t max_len,
			      uint64_t *size);

#endif
