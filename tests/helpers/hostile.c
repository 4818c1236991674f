/* A hostile process of the bus owner's uid, for tests/e2e/hostile_*.sh.
 *
 *   hostile flip BUSDIR SECONDS CANARY CANARYDIR
 *       until SECONDS pass, swap every inbox and segment file of the bus
 *       (and names not yet created) with a symlink to CANARY or CANARYDIR,
 *       and the bus directory itself with a symlink to CANARYDIR, using
 *       renameat2(RENAME_EXCHANGE) so the real file is put back a moment
 *       later. Prints the number of swaps.
 *   hostile inject BUSDIR INBOX KIND
 *       append one malformed record to INBOX's current segment the way a
 *       writer would (under the inbox flock, publishing the new tail).
 *       KIND: oversize-len huge-claim zero-badcrc zero-badname bad-type
 *       odd-garbage short-header. Every payload byte spells EVIL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bus_impl.h"
#include "bus.h"
#include "frame.h"

static int swap_with_link(int dfd, const char *name, const char *target)
{
	char tmp[NAME_MAX_LEN + 64];
	int swapped;

	snprintf(tmp, sizeof(tmp), ".evil.%d", (int)getpid());
	unlinkat(dfd, tmp, 0);
	if (symlinkat(target, dfd, tmp) < 0)
		return 0;
	/* Exchange if the name exists; otherwise plant the link for a while. */
	swapped = renameat2(dfd, tmp, dfd, name, RENAME_EXCHANGE) == 0;
	if (!swapped && renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0) {
		usleep(200);
		unlinkat(dfd, name, 0);
		return 1;
	}
	if (swapped) {
		usleep(200);
		renameat2(dfd, tmp, dfd, name, RENAME_EXCHANGE);
	}
	unlinkat(dfd, tmp, 0);
	return swapped;
}

static int do_flip(char **argv)
{
	const char *busdir = argv[2], *canary = argv[4], *cdir = argv[5];
	double secs = atof(argv[3]);
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9), swaps = 0, round = 0;
	static const char *const names[] = {
		"b.inbox", "b.00000001.seg", "b.00000002.seg", "c.inbox",
		"c.00000001.seg", "new1.inbox", "meta",
	};
	char parent[4096], *slash, evil[4200];
	int dfd, pfd;

	snprintf(parent, sizeof(parent), "%s", busdir);
	if (!(slash = strrchr(parent, '/')))
		return 2;
	*slash = 0;
	dfd = open(busdir, O_RDONLY | O_DIRECTORY);
	pfd = open(parent, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || pfd < 0)
		return 3;
	snprintf(evil, sizeof(evil), ".evil-dir.%d", (int)getpid());
	while (now_ns() < end) {
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			swaps += swap_with_link(dfd, names[i], (round + i) & 1 ? canary : cdir);
		/* The directory itself: a symlink in its place for a moment. */
		if (round % 4 == 0)
			swaps += swap_with_link(pfd, slash + 1, cdir);
		round++;
	}
	printf("%llu\n", (unsigned long long)swaps);
	close(dfd);
	close(pfd);
	return 0;
}

static void fill_evil(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = "EVIL"[i % 4];
}

static uint32_t crc_of(const struct frame_hdr *h, const char *payload)
{
	struct frame_hdr t = *h;
	uLong c;

	t.crc = 0;
	c = crc32(0L, (const Bytef *)&t, sizeof(t));
	return (uint32_t)crc32(c, (const Bytef *)payload, h->len);
}

/* Build the record; returns its length. */
static size_t build(const char *kind, char *buf)
{
	struct frame_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = FRAME_MAGIC;
	h.seq = 1;
	snprintf(h.from, sizeof(h.from), "mallory");
	if (!strcmp(kind, "oversize-len")) {
		h.len = 0xffffffffu;
		memcpy(buf, &h, sizeof(h));
		fill_evil(buf + sizeof(h), 64);
		return sizeof(h) + 64;
	}
	if (!strcmp(kind, "huge-claim")) {
		h.len = BUS_MAX_PAYLOAD; /* valid limit, but far past the tail */
		memcpy(buf, &h, sizeof(h));
		fill_evil(buf + sizeof(h), 104);
		return sizeof(h) + 104;
	}
	if (!strcmp(kind, "zero-badcrc")) {
		h.crc = 0x12345678;
		memcpy(buf, &h, sizeof(h));
		return sizeof(h);
	}
	if (!strcmp(kind, "zero-badname") || !strcmp(kind, "bad-type")) {
		if (!strcmp(kind, "zero-badname"))
			snprintf(h.from, sizeof(h.from), "../../etc");
		else
			h.type = 99;
		h.len = 8;
		fill_evil(buf + sizeof(h), 8);
		h.crc = crc_of(&h, buf + sizeof(h));
		memcpy(buf, &h, sizeof(h));
		return sizeof(h) + 8;
	}
	if (!strcmp(kind, "odd-garbage")) {
		fill_evil(buf, 13);
		return 13;
	}
	if (!strcmp(kind, "short-header")) {
		memcpy(buf, &h, 20);
		fill_evil(buf + 20, 3);
		return 23;
	}
	return 0;
}

static int do_inject(char **argv)
{
	struct bus *b = NULL;
	struct inbox *in = NULL;
	char buf[4096], name[NAME_MAX_LEN + 32];
	size_t len = build(argv[4], buf);
	uint64_t tail;
	int fd, err;

	if (!len)
		return 2;
	if ((err = bus_open(argv[2], &b)) || (err = inbox_open(b, argv[3], &in)) ||
	    (err = inbox_lock(in)))
		goto out;
	tail = atomic_load(&in->hdr->tail);
	seg_name(name, sizeof(name), argv[3], POS_SEG(tail));
	fd = openat(bus_dirfd(b), name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
	} else {
		err = pwrite_full(fd, buf, len, (off_t)POS_OFF(tail));
		close(fd);
	}
	if (!err)
		atomic_store(&in->hdr->tail, tail + len);
	inbox_unlock(in);
out:
	if (err)
		fprintf(stderr, "hostile inject: %s\n", bus_strerror(err));
	inbox_close(in);
	bus_close(b);
	return err ? 3 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "flip"))
		return do_flip(argv);
	if (argc == 5 && !strcmp(argv[1], "inject"))
		return do_inject(argv);
	fprintf(stderr, "usage: hostile flip|inject ... (see source)\n");
	return 2;
}
