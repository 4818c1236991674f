/* Inbox files: create atomically, open only after checking, map the header. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus_impl.h"
#include "priv.h"

int seg_name(char *buf, size_t len, const char *inbox, uint32_t seg)
{
	int n = snprintf(buf, len, "%s.%08x.seg", inbox, seg);

	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Open a file inside the bus refusing symlinks, other owners, non-files,
 * hard links. */
int bus_open_file(int dirfd, const char *name, int flags, int *fdout)
{
	struct stat st;
	int fd, err;

	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ELOOP;
		goto fail;
	}
	if (st.st_uid != priv_fs_uid() || (st.st_mode & 077)) {
		err = -EPERM;
		goto fail;
	}
	/* Every bus file has exactly one name. A second one is a hard link
	 * planted to make us write into a file outside the bus; none is a
	 * file being removed under us. */
	if (st.st_nlink != 1) {
		err = st.st_nlink ? -EPERM : -ENOENT;
		goto fail;
	}
	*fdout = fd;
	return 0;
fail:
	close(fd);
	return err;
}

static void header_init(const struct bus *b, struct inbox_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = INBOX_MAGIC;
	h->version = INBOX_VERSION;
	h->tail = POS(1, 0);
	h->cursor = POS(1, 0);
	h->head_seg = 1;
	h->max_msgs = b->max_msgs;
	h->max_bytes = b->max_bytes;
	h->created_ns = wall_ns();
}

/* Allocate the page now: a store into a mapped tmpfs hole on a full
 * filesystem is a SIGBUS, an fallocate is a clean ENOSPC. */
static int header_write(int fd, const struct inbox_hdr *h)
{
	int err = -posix_fallocate(fd, 0, INBOX_FILE_MIN);

	return err ? err : pwrite_full(fd, h, sizeof(*h), 0);
}

/* The header is built in a temp file and renamed into place without
 * replacing, so a racing creator either wins or finds ours complete. Every
 * change to the directory holds its lock, which hundreds of agents
 * starting at once queue on: after the rename the temp name is gone, so
 * it is not unlinked again. (O_TMPFILE + linkat through /proc, one change
 * instead of two, was no better within our hosts' noise.) */
static int inbox_create(struct bus *b, const char *file)
{
	char tmp[NAME_MAX_LEN + 32];
	struct inbox_hdr h;
	int fd, err;

	header_init(b, &h);
	/* Named by thread id, not pid: threads of one process creating the
	 * same inbox must not share (and unlink) each other's temp file. A
	 * live thread owns its tid, so an existing file of that name is a
	 * leftover of a dead one: remove it once and retry. */
	snprintf(tmp, sizeof(tmp), ".tmp.%s.%d", file, (int)gettid());
	fd = openat(b->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(b->dirfd, tmp, 0) == 0)
		fd = openat(b->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if ((err = header_write(fd, &h)))
		goto fail;
	if (renameat2(b->dirfd, tmp, b->dirfd, file, RENAME_NOREPLACE) == 0) {
		close(fd);
		return 0;           /* the temp name is gone with the rename */
	}
	err = errno == EEXIST ? 0 : -errno;
fail:
	close(fd);
	unlinkat(b->dirfd, tmp, 0);
	return err;
}

static int header_check(const struct inbox_hdr *h)
{
	/* Cursor first: both only grow, so a cursor read before the tail is
	 * never past it. Tail first, a send and a commit landing between the
	 * two loads (other writers and the reader at work) would make a live
	 * inbox look corrupt. */
	uint64_t cur = atomic_load(&h->cursor), tail = atomic_load(&h->tail);

	if (h->magic != INBOX_MAGIC || h->version != INBOX_VERSION)
		return -EBADMSG;
	if (POS_OFF(tail) > BUS_SEG_MAX || POS_OFF(cur) > BUS_SEG_MAX || cur > tail)
		return -EBADMSG;
	return 0;
}

int inbox_open(struct bus *b, const char *name, struct inbox **out)
{
	char file[NAME_MAX_LEN + 8];
	struct inbox *in;
	struct stat st;
	void *map;
	int err, tries;

	*out = NULL;
	if (name_valid(name))
		return -EINVAL;
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->bus = b;
	in->pid = (int32_t)getpid();
	in->hfd = in->wfd = in->rfd = in->efd = -1;
	snprintf(in->name, sizeof(in->name), "%s", name);
	snprintf(file, sizeof(file), "%s.inbox", name);
	for (tries = 0;; tries++) {
		err = bus_open_file(b->dirfd, file, O_RDWR, &in->hfd);
		if (err != -ENOENT || tries == 2)
			break;
		if ((err = inbox_create(b, file)))
			break;
	}
	if (err)
		goto fail;
	if (fstat(in->hfd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (st.st_size < INBOX_FILE_MIN) {
		err = -EBADMSG;
		goto fail;
	}
	map = mmap(NULL, INBOX_FILE_MIN, PROT_READ | PROT_WRITE, MAP_SHARED, in->hfd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	in->hdr = map;
	if ((err = header_check(in->hdr)))
		goto fail;
	*out = in;
	return 0;
fail:
	inbox_close(in);
	return err;
}

void inbox_close(struct inbox *in)
{
	if (!in)
		return;
	notify_stop(in);
	if (in->reader)
		reader_free(in);
	if (in->hdr)
		munmap(in->hdr, INBOX_FILE_MIN);
	if (in->hfd >= 0)
		close(in->hfd);
	if (in->wfd >= 0)
		close(in->wfd);
	free(in->wbuf);
	free(in);
}

const char *inbox_name(const struct inbox *in) { return in->name; }

static int reader_lock_holder(struct inbox *in)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	if (in->reader)
		return getpid();
	if (fcntl(in->hfd, F_OFD_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	return atomic_load(&in->hdr->reader_pid);
}

static uint64_t count_segments(struct inbox *in)
{
	uint64_t n = 0, s;
	uint32_t tail_seg = POS_SEG(atomic_load(&in->hdr->tail));
	char name[NAME_MAX_LEN + 32];
	struct stat st;

	for (s = atomic_load(&in->hdr->head_seg); s <= tail_seg; s++)
		if (!seg_name(name, sizeof(name), in->name, (uint32_t)s) &&
		    !fstatat(in->bus->dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
			n++;
	return n;
}

int inbox_info(struct inbox *in, struct inbox_info *o)
{
	struct inbox_hdr *h = in->hdr;

	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", in->name);
	o->msgs_in = atomic_load(&h->msgs_in);
	o->msgs_out = atomic_load(&h->msgs_out);
	o->depth = o->msgs_in > o->msgs_out ? o->msgs_in - o->msgs_out : 0;
	o->bytes = atomic_load(&h->bytes_in) - atomic_load(&h->bytes_out);
	o->segments = count_segments(in);
	o->waiters = atomic_load(&h->waiters);
	o->reader_pid = reader_lock_holder(in);
	o->max_msgs = h->max_msgs;
	o->max_bytes = h->max_bytes;
	return 0;
}
