/* libFuzzer: the inbox reader over hostile segment files. The input
 * becomes one or two segments of a fresh inbox whose header tail says
 * they are published; inbox_next must then never crash, never loop, and
 * never return a message whose frame fails an independent CRC check.
 *
 * Input: flags(1) split(2) bytes...
 *   flags&1  two segments: bytes[0,split) sealed, the rest current
 *   flags&2  the tail stops (flags>>2)&63 bytes short of the data
 *   flags&0x80 commit what was read (exercises dedup store and unlink) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "bus_impl.h"
#include "bus.h"
#include "frame.h"

static struct bus *fz_bus;

static void fz_cleanup(void)
{
	bus_destroy(fz_bus);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (bus_create(NULL, NULL, NULL, &fz_bus))
		abort();
	atexit(fz_cleanup);
	return 0;
}

static void put_seg(uint32_t seg, const uint8_t *p, size_t n)
{
	char name[NAME_MAX_LEN + 32];
	int fd;

	seg_name(name, sizeof(name), "f", seg);
	fd = openat(bus_dirfd(fz_bus), name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (n && write_full(fd, p, n)))
		abort();
	close(fd);
}

static void reset_files(void)
{
	static const char *const names[] = {
		"f.inbox", "f.00000001.seg", "f.00000002.seg", "f.00000003.seg",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlinkat(bus_dirfd(fz_bus), names[i], 0);
}

static void check_msg(const struct bus_msg *m)
{
	struct frame_hdr hdr, tmp, *h = &hdr;
	uLong c;

	/* Frames may sit at any byte offset after a resync: copy. */
	memcpy(&hdr, (const char *)m->data - FRAME_HDR_SIZE, sizeof(hdr));
	tmp = hdr;
	tmp.crc = 0;
	c = crc32(0L, (const Bytef *)&tmp, sizeof(tmp));
	c = crc32(c, (const Bytef *)m->data, m->len);
	if ((uint32_t)c != h->crc || m->len != h->len || m->len > BUS_MAX_PAYLOAD ||
	    m->type > MSG_TYPE_MAX || name_valid(m->from) || m->seq != h->seq)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbox *in;
	struct bus_msg m;
	uint8_t flags = size ? data[0] : 0;
	size_t hdr = size < 3 ? size : 3, n = size - hdr, split = n, cut = 0;
	const uint8_t *p = data + hdr;
	uint64_t tail, steps = 0;
	int r;

	if (size >= 3)
		split = (size_t)data[1] | (size_t)data[2] << 8;
	if (split > n)
		split = n;
	reset_files();
	if (inbox_open(fz_bus, "f", &in))
		abort();
	if (flags & 1) {
		put_seg(1, p, split);
		put_seg(2, p + split, n - split);
		tail = POS(2, n - split);
	} else {
		put_seg(1, p, n);
		tail = POS(1, n);
	}
	if (flags & 2) {
		cut = (flags >> 2) & 63;
		tail -= cut < POS_OFF(tail) ? cut : POS_OFF(tail);
	}
	atomic_store(&in->hdr->tail, tail);
	if (inbox_reader_begin(in))
		abort();
	/* Each call consumes at least a header's worth or ends: bound it. */
	while ((r = inbox_next(in, &m)) == 1) {
		check_msg(&m);
		if (++steps > size / FRAME_HDR_SIZE + 2)
			abort();
	}
	if (r < 0 && r != -EIO && r != -EBADMSG)
		abort();
	if (flags & 0x80)
		inbox_commit(in);
	inbox_close(in);
	return 0;
}
