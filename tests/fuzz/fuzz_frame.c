/* libFuzzer: the frame decoder. Arbitrary bytes must never be read past
 * avail, and FRAME_OK must mean exactly what frame.h promises (checked
 * here with an independent CRC). A frame we encode must validate, and any
 * one-byte change to what the CRC covers must not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bus.h"
#include "frame.h"
#include "swarm.h"

static uint32_t ref_crc(const unsigned char *buf, uint32_t len)
{
	struct frame_hdr h;
	uLong c;

	memcpy(&h, buf, sizeof(h));
	h.crc = 0;
	c = crc32(0L, (const Bytef *)&h, sizeof(h));
	return (uint32_t)crc32(c, buf + FRAME_HDR_SIZE, len);
}

static void check_arbitrary(const unsigned char *buf, size_t size, uint32_t max)
{
	uint64_t fsz = 0;
	struct frame_hdr h;
	char name[NAME_MAX_LEN + 1];

	switch (frame_check(buf, size, max, &fsz)) {
	case FRAME_OK:
		memcpy(&h, buf, sizeof(h));
		memcpy(name, h.from, NAME_MAX_LEN);
		name[NAME_MAX_LEN] = 0;
		if (fsz > size || fsz != frame_size(h.len) || h.len > max ||
		    h.magic != FRAME_MAGIC || h.type > MSG_TYPE_MAX ||
		    ref_crc(buf, h.len) != h.crc || name_valid(name))
			abort();
		break;
	case FRAME_SHORT:
		if (fsz <= size || fsz < FRAME_HDR_SIZE)
			abort();
		break;
	case FRAME_BAD:
		break;
	default:
		abort();
	}
}

static void check_round_trip(const uint8_t *data, size_t size)
{
	uint32_t len = (uint32_t)(size > 4096 ? 4096 : size);
	uint64_t fs = frame_size(len), got = 0;
	unsigned char *enc = malloc(fs);
	size_t flip;

	if (!enc)
		abort();
	frame_encode(enc, "fuzz-sender_1", (uint32_t)(size % (MSG_TYPE_MAX + 1)), size + 1,
		     12345, data, len);
	if (frame_check(enc, fs, BUS_MAX_PAYLOAD, &got) != FRAME_OK || got != fs)
		abort();
	if (frame_check(enc, fs - 1, BUS_MAX_PAYLOAD, &got) != FRAME_SHORT || got != fs)
		abort();
	/* One changed byte anywhere the CRC covers, except the length field
	 * (which changes what is covered): never valid. */
	flip = (size ? data[0] * 131u + size : 0) % (FRAME_HDR_SIZE + len);
	if (flip < 4 || flip >= 8) {
		enc[flip] ^= (unsigned char)(size ? (data[size - 1] | 1) : 0x5a);
		if (frame_check(enc, fs, BUS_MAX_PAYLOAD, &got) == FRAME_OK)
			abort();
	}
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan sees any read past the end. */
	unsigned char *buf = malloc(size ? size : 1);
	uint32_t max = BUS_MAX_PAYLOAD;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (size > 9 && (data[8] & 1))
		max = data[9]; /* small limits exercise the length check */
	check_arbitrary(buf, size, max);
	free(buf);
	check_round_trip(data, size);
	return 0;
}
