/* The read path: one reader per inbox walks the segments from its
 * committed cursor, validates every frame, suppresses (sender, seq)
 * duplicates and commits what the caller has consumed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus_impl.h"
#include "fault.h"
#include "frame.h"
#include "swarm_probe.h"

#define RBUF_MIN (256u << 10)

struct dedup_slot {
	char from[NAME_MAX_LEN];
	uint64_t seq;
};
_Static_assert(sizeof(struct dedup_slot) == DEDUP_SLOT_SIZE, "dedup slot size");

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct dedup_entry *dedup_find(struct inbox *in, const char *from)
{
	struct dedup_entry *e = in->dedup[hash_name(from) & (in->dedup_buckets - 1)];

	while (e && strcmp(e->from, from))
		e = e->next;
	return e;
}

static int dedup_grow(struct inbox *in)
{
	uint32_t nb = in->dedup_buckets * 4, i;
	struct dedup_entry **t = calloc(nb, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < in->dedup_buckets; i++) {
		struct dedup_entry *e = in->dedup[i], *next;
		for (; e; e = next) {
			uint32_t b = hash_name(e->from) & (nb - 1);
			next = e->next;
			e->next = t[b];
			t[b] = e;
		}
	}
	free(in->dedup);
	in->dedup = t;
	in->dedup_buckets = nb;
	return 0;
}

static struct dedup_entry *dedup_add(struct inbox *in, const char *from, uint64_t seq,
				     uint32_t slot)
{
	struct dedup_entry *e = calloc(1, sizeof(*e));
	uint32_t b;

	if (!e)
		return NULL;
	snprintf(e->from, sizeof(e->from), "%s", from);
	e->committed = e->pending = seq;
	e->slot = slot;
	b = hash_name(from) & (in->dedup_buckets - 1);
	e->next = in->dedup[b];
	in->dedup[b] = e;
	in->stats_entries++;
	if (in->stats_entries > 4 * in->dedup_buckets)
		dedup_grow(in); /* best effort: a long chain is only slower */
	return e;
}

static int dedup_load(struct inbox *in)
{
	uint32_t used = atomic_load(&in->hdr->dedup_used), i;
	struct dedup_slot s;

	in->dedup_buckets = 256;
	in->dedup = calloc(in->dedup_buckets, sizeof(*in->dedup));
	if (!in->dedup)
		return -ENOMEM;
	if (used > DEDUP_MAX_SLOTS)
		used = DEDUP_MAX_SLOTS;
	for (i = 0; i < used; i++) {
		char name[NAME_MAX_LEN + 1];
		off_t off = INBOX_HDR_SIZE + (off_t)i * DEDUP_SLOT_SIZE;

		if (pread(in->hfd, &s, sizeof(s), off) != (ssize_t)sizeof(s))
			break;
		memcpy(name, s.from, NAME_MAX_LEN);
		name[NAME_MAX_LEN] = 0;
		if (name_valid(name) || dedup_find(in, name))
			continue; /* torn or hostile slot: ignore it */
		if (!dedup_add(in, name, s.seq, i))
			return -ENOMEM;
	}
	return 0;
}

/* Persist the seqs the caller has consumed. A slot write that fails (no
 * space) only weakens duplicate suppression; delivery stays at-least-once. */
static void dedup_store(struct inbox *in)
{
	uint32_t b;

	for (b = 0; b < in->dedup_buckets; b++) {
		struct dedup_entry *e;
		for (e = in->dedup[b]; e; e = e->next) {
			struct dedup_slot s;

			if (!e->dirty)
				continue;
			e->dirty = 0;
			e->committed = e->pending;
			if (e->slot == UINT32_MAX) {
				uint32_t used = atomic_load(&in->hdr->dedup_used);
				if (used >= DEDUP_MAX_SLOTS)
					continue;
				e->slot = used;
			}
			memset(&s, 0, sizeof(s));
			memcpy(s.from, e->from, strlen(e->from));
			s.seq = e->committed;
			if (pwrite_full(in->hfd, &s, sizeof(s),
					INBOX_HDR_SIZE + (off_t)e->slot * DEDUP_SLOT_SIZE))
				continue;
			if (e->slot == atomic_load(&in->hdr->dedup_used))
				atomic_store(&in->hdr->dedup_used, e->slot + 1);
		}
	}
}

static void dedup_free(struct inbox *in)
{
	uint32_t b;

	for (b = 0; in->dedup && b < in->dedup_buckets; b++) {
		struct dedup_entry *e = in->dedup[b], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(in->dedup);
	in->dedup = NULL;
}

int inbox_reader_begin(struct inbox *in)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	int err;

	if (in->reader)
		return 0;
	/* OFD locks are independent of the writers' flock and die with us. */
	if (fcntl(in->hfd, F_OFD_SETLK, &fl) < 0)
		return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
	in->rbuf = malloc(RBUF_MIN);
	if (!in->rbuf) {
		err = -ENOMEM;
		goto fail;
	}
	in->rbuf_cap = RBUF_MIN;
	in->rbuf_len = 0;
	if ((err = dedup_load(in)))
		goto fail;
	atomic_store(&in->hdr->reader_pid, (int32_t)getpid());
	in->rpos = atomic_load(&in->hdr->cursor);
	in->busy_ns = now_ns();
	in->rfd = -1;
	in->reader = 1;
	return 0;
fail:
	free(in->rbuf);
	in->rbuf = NULL;
	dedup_free(in);
	fl.l_type = F_UNLCK;
	fcntl(in->hfd, F_OFD_SETLK, &fl);
	return err;
}

void reader_free(struct inbox *in)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	inbox_reclaim(in);
	atomic_store(&in->hdr->reader_pid, 0);
	fcntl(in->hfd, F_OFD_SETLK, &fl);
	if (in->rfd >= 0)
		close(in->rfd);
	in->rfd = -1;
	free(in->rbuf);
	in->rbuf = NULL;
	dedup_free(in);
	in->reader = 0;
}

/* Point in->rfd at segment seg; -ENOENT if it does not exist (yet). */
static int rseg_open(struct inbox *in, uint32_t seg)
{
	char name[NAME_MAX_LEN + 32];
	int err;

	if (in->rfd >= 0 && in->rfd_seg == seg)
		return 0;
	if (in->rfd >= 0)
		close(in->rfd);
	in->rfd = -1;
	in->rbuf_len = 0;
	if ((err = seg_name(name, sizeof(name), in->name, seg)))
		return err;
	if ((err = bus_open_file(in->bus->dirfd, name, O_RDONLY, &in->rfd)))
		return err;
	in->rfd_seg = seg;
	return 0;
}

/* End of readable data in the read position's segment. Sealed segments
 * (older than the tail's) end at their size; past ones are skipped. */
static int seg_end(struct inbox *in, uint64_t *end)
{
	for (;;) {
		uint64_t tail = atomic_load(&in->hdr->tail);
		uint32_t seg = POS_SEG(in->rpos);
		struct stat st;
		int err;

		if (seg > POS_SEG(tail))
			return -EBADMSG;
		if (seg == POS_SEG(tail)) {
			*end = POS_OFF(tail);
			if (*end > POS_OFF(in->rpos) && (err = rseg_open(in, seg)))
				return err;
			return 0;
		}
		err = rseg_open(in, seg);
		if (err && err != -ENOENT)
			return err;
		if (!err && fstat(in->rfd, &st) < 0)
			return -errno;
		if (!err && (uint64_t)st.st_size > POS_OFF(in->rpos)) {
			*end = (uint64_t)st.st_size;
			return 0;
		}
		in->rpos = POS(seg + 1, 0);
	}
}

/* Make rbuf hold bytes [off, off+need) of the current segment, or as many
 * as exist before end. Returns a pointer to off; *avail = bytes there. */
static int view(struct inbox *in, uint64_t off, uint64_t need, uint64_t end,
		const char **p, uint64_t *avail)
{
	uint64_t bstart = POS_OFF(in->rbuf_pos);
	ssize_t n;

	if (need > end - off)
		need = end - off;
	if (POS_SEG(in->rbuf_pos) == in->rfd_seg && in->rbuf_len && off >= bstart &&
	    off + need <= bstart + in->rbuf_len) {
		*p = in->rbuf + (off - bstart);
		*avail = bstart + in->rbuf_len - off;
		return 0;
	}
	if (need > in->rbuf_cap) {
		char *nb = realloc(in->rbuf, need);
		if (!nb)
			return -ENOMEM;
		in->rbuf = nb;
		in->rbuf_cap = need;
	}
	n = pread(in->rfd, in->rbuf, end - off < in->rbuf_cap ? end - off : in->rbuf_cap, (off_t)off);
	if (n < 0)
		return -errno;
	in->rbuf_pos = POS(in->rfd_seg, off);
	in->rbuf_len = (size_t)n;
	if ((uint64_t)n < need)
		return -EIO; /* the published region is shorter than the tail says */
	*p = in->rbuf;
	*avail = (uint64_t)n;
	return 0;
}

/* A corrupt frame at off: find the next offset where a whole valid frame
 * starts, or the end. Returns the number of bytes to skip. Every byte
 * offset is tried, not only 8-aligned ones: honest frames are 8-byte
 * multiples, but after a hostile or foreign record of odd length every
 * later frame in the segment sits off that grid, and stepping by 8 would
 * skip them all. */
static uint64_t resync(struct inbox *in, uint64_t off, uint64_t end)
{
	uint64_t p, fsz, avail;
	enum frame_status st;
	const char *v;

	for (p = off + 1; p + FRAME_HDR_SIZE <= end; p++) {
		uint32_t magic;

		if (view(in, p, FRAME_HDR_SIZE, end, &v, &avail))
			break;
		memcpy(&magic, v, sizeof(magic));
		if (magic != FRAME_MAGIC)
			continue;
		st = frame_check(v, avail, BUS_MAX_PAYLOAD, &fsz);
		if (st == FRAME_SHORT) {
			if (p + fsz > end)
				continue;
			if (view(in, p, fsz, end, &v, &avail))
				break;
			st = frame_check(v, avail, BUS_MAX_PAYLOAD, &fsz);
		}
		if (st == FRAME_OK)
			return p - off;
	}
	return end - off;
}

static void consume(struct inbox *in, uint64_t bytes, int frame)
{
	in->rpos += bytes;
	in->pend_bytes += bytes;
	in->pend_msgs += frame;
}

/* 1 if the frame is new (and records it as pending), 0 if a duplicate. */
static int dedup_accept(struct inbox *in, const char *from, uint64_t seq)
{
	struct dedup_entry *e = dedup_find(in, from);

	if (e && seq <= e->pending)
		return 0;
	if (!e) {
		e = dedup_add(in, from, 0, UINT32_MAX);
		if (!e)
			return 1; /* no memory: deliver, at-least-once still holds */
	}
	in->last.entry = e;
	in->last.pending = e->pending;
	in->last.dirty = e->dirty;
	e->pending = seq;
	e->dirty = 1;
	return 1;
}

int inbox_next(struct inbox *in, struct bus_msg *m)
{
	if (!in->reader)
		return -EINVAL;
	in->last.valid = 0;
	for (;;) {
		uint64_t end, off, fsz, avail;
		const char *v;
		int err;

		if ((err = seg_end(in, &end)))
			return err;
		off = POS_OFF(in->rpos);
		if (off >= end)
			return 0;
		if ((err = view(in, off, FRAME_HDR_SIZE, end, &v, &avail)))
			return err;
		switch (frame_check(v, avail, BUS_MAX_PAYLOAD, &fsz)) {
		case FRAME_SHORT:
			if (off + fsz > end)
				goto corrupt; /* claims bytes nobody published */
			if ((err = view(in, off, fsz, end, &v, &avail)))
				return err;
			if (frame_check(v, avail, BUS_MAX_PAYLOAD, &fsz) != FRAME_OK)
				goto corrupt;
			break;
		case FRAME_BAD:
			goto corrupt;
		case FRAME_OK:
			break;
		}
		{
			/* A copy: after resyncing past odd-length garbage a frame
			 * may start at any byte, so v need not be aligned. */
			struct frame_hdr hdr, *h = &hdr;

			memcpy(&hdr, v, sizeof(hdr));
			FAULT_POINT("recv-read");
			in->last.rpos = in->rpos;
			in->last.size = fsz;
			in->last.entry = NULL;
			consume(in, fsz, 1);
			SWARM_PROBE2(consume, in->hfd, in->rpos);
			memcpy(m->from, h->from, NAME_MAX_LEN);
			m->from[NAME_MAX_LEN] = 0;
			if (!dedup_accept(in, m->from, h->seq)) {
				in->stats.duplicates++;
				continue;
			}
			m->seq = h->seq;
			m->ts_ns = h->ts_ns;
			m->type = h->type;
			m->len = h->len;
			m->data = v + FRAME_HDR_SIZE;
			in->stats.delivered++;
			in->last.valid = 1;
			return 1;
		}
corrupt:
		fsz = resync(in, off, end);
		in->stats.corrupt++;
		in->stats.corrupt_bytes += fsz;
		consume(in, fsz, 1);
	}
}

/* Drop segments the committed cursor has left behind. */
static void unlink_consumed(struct inbox *in)
{
	uint32_t cur = POS_SEG(atomic_load(&in->hdr->cursor));
	uint64_t s;

	for (s = atomic_load(&in->hdr->head_seg); s < cur; s++) {
		char name[NAME_MAX_LEN + 32];

		if (!seg_name(name, sizeof(name), in->name, (uint32_t)s))
			unlinkat(in->bus->dirfd, name, 0);
		FAULT_POINT("rollover-unlink");
		atomic_store(&in->hdr->head_seg, s + 1);
	}
}

int inbox_commit(struct inbox *in)
{
	struct inbox_hdr *h = in->hdr;

	if (!in->reader)
		return -EINVAL;
	FAULT_POINT("recv-commit");
	/* Seqs first, cursor second: dying between the two re-reads frames
	 * already marked seen, which are then dropped as duplicates — the
	 * caller had consumed them, so nothing is lost. */
	dedup_store(in);
	FAULT_POINT("recv-dedup");
	atomic_store(&h->cursor, in->rpos);
	atomic_fetch_add(&h->msgs_out, in->pend_msgs);
	atomic_fetch_add(&h->bytes_out, in->pend_bytes);
	in->pend_msgs = in->pend_bytes = 0;
	in->last.valid = 0;
	atomic_fetch_add(&h->space, 1);
	if (atomic_load(&h->space_waiters))
		futex_wake_all(&h->space);
	unlink_consumed(in);
	return 0;
}

void inbox_unread(struct inbox *in)
{
	if (!in->reader || !in->last.valid)
		return;
	in->last.valid = 0;
	in->rpos = in->last.rpos;
	in->pend_msgs--;
	in->pend_bytes -= in->last.size;
	in->stats.delivered--;
	if (in->last.entry) {
		in->last.entry->pending = in->last.pending;
		in->last.entry->dirty = in->last.dirty;
	}
}

void inbox_rewind(struct inbox *in)
{
	uint32_t b;

	if (!in->reader)
		return;
	in->rpos = atomic_load(&in->hdr->cursor);
	in->pend_msgs = in->pend_bytes = 0;
	in->last.valid = 0;
	for (b = 0; b < in->dedup_buckets; b++) {
		struct dedup_entry *e;
		for (e = in->dedup[b]; e; e = e->next) {
			e->pending = e->committed;
			e->dirty = 0;
		}
	}
}

int reader_has_data(struct inbox *in)
{
	uint64_t end;

	if (seg_end(in, &end))
		return 1; /* let inbox_next report the error */
	return POS_OFF(in->rpos) < end;
}

/* Everything published has been read and committed: start a fresh segment
 * so the consumed one can be freed now rather than at the next rollover. */
int inbox_reclaim(struct inbox *in)
{
	struct inbox_hdr *h = in->hdr;
	uint64_t tail = atomic_load(&h->tail), next;
	char name[NAME_MAX_LEN + 32];
	int err;

	if (!in->reader || !POS_OFF(tail) || in->rpos != tail ||
	    atomic_load(&h->cursor) != tail)
		return 0;
	if ((err = inbox_lock(in)))
		return err;
	if (atomic_load(&h->tail) != tail || atomic_load(&h->writer_pid)) {
		inbox_unlock(in);
		return 0;
	}
	next = POS(POS_SEG(tail) + 1, 0);
	atomic_store(&h->tail, next);
	atomic_store(&h->cursor, next);
	in->rpos = next;
	/* Nothing is in flight: make the counters exact again. */
	atomic_store(&h->msgs_out, atomic_load(&h->msgs_in));
	atomic_store(&h->bytes_out, atomic_load(&h->bytes_in));
	inbox_unlock(in);
	if (in->rfd >= 0 && in->rfd_seg == POS_SEG(tail)) {
		close(in->rfd);
		in->rfd = -1;
		in->rbuf_len = 0;
	}
	if (!seg_name(name, sizeof(name), in->name, POS_SEG(tail)))
		unlinkat(in->bus->dirfd, name, 0);
	atomic_store(&h->head_seg, POS_SEG(next));
	return 0;
}

const struct bus_read_stats *inbox_read_stats(const struct inbox *in)
{
	return &in->stats;
}
