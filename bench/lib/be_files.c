/* The reference protocol in C, so the bus benchmarks compare protocols and
 * not languages: one file per message, renamed into the recipient's inbox
 * directory; a per-(sender, recipient) sequence number kept in a file and
 * bumped under flock + fsync; the message written under the inbox's flock
 * to a temp file, fsync'd, renamed into place, the directory fsync'd; the
 * reader lists the directory at most every 100 ms, reads every message
 * found in name order (send time, then sender, then seq) and unlinks it.
 * Handles stay open for a sender's lifetime (the bash reference reopened
 * them per message): the baseline gets the cheaper variant. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "util.h"

#define POLL_NS 100000000ull
#define NAME_CAP 160
#define PATH_MAX_BENCH 512

struct be_tx {
	int dirfd, lockfd, seqfd;
	char from[NAME_MAX_LEN + 1];
	char *tmps;   /* batch temp names, NAME_CAP each */
	char *names;
	size_t cap;
};

struct be_rx {
	int dirfd;
	char **names;
	size_t n, i, cap;
	char *buf;
	size_t bufcap;
	uint64_t last_scan;
};

static int fl_create(char *path, size_t cap)
{
	const char *base = getenv("SWARM_SHM");
	char tmpl[4096], sub[4096 + 16];

	/* Same root as the swarm bus, so a test can keep both private. */
	if (snprintf(tmpl, sizeof(tmpl), "%s/swarm-blc.XXXXXX",
		     base && *base ? base : "/dev/shm") >= (int)sizeof(tmpl))
		return -ENAMETOOLONG;
	if (!mkdtemp(tmpl))
		return -errno;
	snprintf(sub, sizeof(sub), "%s/inbox", tmpl);
	if (mkdir(sub, 0700))
		return -errno;
	snprintf(sub, sizeof(sub), "%s/seq", tmpl);
	if (mkdir(sub, 0700))
		return -errno;
	snprintf(path, cap, "%s", tmpl);
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p) ? -errno : 0;
}

static int fl_destroy(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int fl_inbox_make(const char *path, const char *name)
{
	char p[PATH_MAX_BENCH];
	int fd;

	snprintf(p, sizeof(p), "%s/inbox/%s", path, name);
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/inbox/%s/.lock", path, name);
	fd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void fl_tx_close(struct be_tx *t)
{
	if (!t)
		return;
	if (t->dirfd >= 0)
		close(t->dirfd);
	if (t->lockfd >= 0)
		close(t->lockfd);
	if (t->seqfd >= 0)
		close(t->seqfd);
	free(t->tmps);
	free(t->names);
	free(t);
}

static int fl_tx_open(const char *path, const char *from, const char *to, struct be_tx **out)
{
	struct be_tx *t = calloc(1, sizeof(*t));
	char p[PATH_MAX_BENCH];
	int err = 0;

	if (!t)
		return -ENOMEM;
	t->dirfd = t->lockfd = t->seqfd = -1;
	snprintf(t->from, sizeof(t->from), "%s", from);
	snprintf(p, sizeof(p), "%s/inbox/%s", path, to);
	t->dirfd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (t->dirfd < 0)
		goto fail;
	t->lockfd = openat(t->dirfd, ".lock", O_RDWR | O_CLOEXEC);
	if (t->lockfd < 0)
		goto fail;
	snprintf(p, sizeof(p), "%s/seq/%s.%s", path, from, to);
	t->seqfd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (t->seqfd < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	err = -errno;
	fl_tx_close(t);
	return err;
}

/* Reserve n sequence numbers under the sender's seq-file lock; returns
 * the first or 0 on error. */
static uint64_t next_seq(struct be_tx *t, size_t n)
{
	char buf[32] = { 0 };
	uint64_t seq = 0;
	ssize_t r;
	int len;

	if (flock(t->seqfd, LOCK_EX))
		return 0;
	r = pread(t->seqfd, buf, sizeof(buf) - 1, 0);
	if (r > 0)
		seq = strtoull(buf, NULL, 10);
	len = snprintf(buf, sizeof(buf), "%020" PRIu64 "\n", seq + n);
	if (pwrite_full(t->seqfd, buf, (size_t)len, 0) || fsync(t->seqfd))
		seq = UINT64_MAX;
	flock(t->seqfd, LOCK_UN);
	return seq == UINT64_MAX ? 0 : seq + 1;
}

static void msg_name(char *name, const struct be_tx *t, uint64_t seq)
{
	snprintf(name, NAME_CAP, "msg-%019" PRIu64 "-%s-%020" PRIu64, wall_ns(), t->from, seq);
}

static int write_tmp(struct be_tx *t, const char *tmp, const void *data, uint32_t len)
{
	int fd = openat(t->dirfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	int err;

	if (fd < 0)
		return -errno;
	err = write_full(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int fl_send_batch(struct be_tx *t, const struct be_msg *m, size_t n)
{
	uint64_t seq = next_seq(t, n);
	size_t i;
	int err = 0;

	if (!seq)
		return -EIO;
	if (n > t->cap) {
		char *a = realloc(t->tmps, n * NAME_CAP), *b;
		if (!a)
			return -ENOMEM;
		t->tmps = a;
		b = realloc(t->names, n * NAME_CAP);
		if (!b)
			return -ENOMEM;
		t->names = b;
		t->cap = n;
	}
	if (flock(t->lockfd, LOCK_EX))
		return -errno;
	for (i = 0; i < n && !err; i++) {
		char *name = t->names + i * NAME_CAP, *tmp = t->tmps + i * NAME_CAP;
		msg_name(name, t, seq + i);
		snprintf(tmp, NAME_CAP, ".%s.tmp", name);
		err = write_tmp(t, tmp, m[i].data, m[i].len);
	}
	for (i = 0; i < n && !err; i++)
		if (renameat(t->dirfd, t->tmps + i * NAME_CAP, t->dirfd, t->names + i * NAME_CAP))
			err = -errno;
	if (!err && fsync(t->dirfd))
		err = -errno;
	flock(t->lockfd, LOCK_UN);
	return err;
}

static int fl_send(struct be_tx *t, const void *data, uint32_t len)
{
	struct be_msg m = { data, len };

	return fl_send_batch(t, &m, 1);
}

static void rx_clear(struct be_rx *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->names[i]);
	r->n = r->i = 0;
}

static void fl_rx_close(struct be_rx *r)
{
	if (!r)
		return;
	rx_clear(r);
	free(r->names);
	free(r->buf);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r);
}

static int fl_rx_open(const char *path, const char *name, struct be_rx **out)
{
	struct be_rx *r = calloc(1, sizeof(*r));
	char p[PATH_MAX_BENCH];

	if (!r)
		return -ENOMEM;
	snprintf(p, sizeof(p), "%s/inbox/%s", path, name);
	r->dirfd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (r->dirfd < 0) {
		int err = -errno;
		fl_rx_close(r);
		return err;
	}
	*out = r;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One poll pass: every message file present now, in name order. */
static int scan(struct be_rx *r)
{
	int fd = dup(r->dirfd);
	DIR *d;
	struct dirent *e;

	rx_clear(r);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "msg-", 4))
			continue;
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 1024;
			char **nn = realloc(r->names, cap * sizeof(*nn));
			if (!nn)
				break;
			r->names = nn;
			r->cap = cap;
		}
		r->names[r->n] = strdup(e->d_name);
		if (r->names[r->n])
			r->n++;
	}
	closedir(d);
	if (r->n)
		qsort(r->names, r->n, sizeof(*r->names), cmp_name);
	r->last_scan = now_ns();
	return (int)(r->n > 0);
}

/* Poll at most every 100 ms: the reference's reader loop. */
static int fl_rx_wait(struct be_rx *r, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)(timeout_ms < 0 ? 3600000 : timeout_ms) * 1000000ull;

	if (r->i < r->n)
		return 1;
	for (;;) {
		uint64_t now = now_ns(), next = r->last_scan + POLL_NS;
		int got;

		if (now < next) {
			uint64_t until = next < deadline ? next : deadline;
			struct timespec ts = { (time_t)((until - now) / 1000000000ull),
					       (long)((until - now) % 1000000000ull) };
			nanosleep(&ts, NULL);
			if (until == deadline)
				return 0;
		}
		got = scan(r);
		if (got)
			return got;
		if (now_ns() >= deadline)
			return 0;
	}
}

static int fl_rx_next(struct be_rx *r, struct be_msg *m)
{
	struct stat st;
	const char *name;
	ssize_t got;
	int fd;

	if (r->i >= r->n)
		return 0;
	name = r->names[r->i++];
	fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	if ((size_t)st.st_size > r->bufcap) {
		char *b = realloc(r->buf, (size_t)st.st_size);
		if (!b) {
			close(fd);
			return -ENOMEM;
		}
		r->buf = b;
		r->bufcap = (size_t)st.st_size;
	}
	got = read_full(fd, r->buf, (size_t)st.st_size);
	close(fd);
	if (got < 0)
		return (int)got;
	unlinkat(r->dirfd, name, 0);
	m->data = r->buf;
	m->len = (uint32_t)got;
	return 1;
}

static int fl_rx_commit(struct be_rx *r)
{
	(void)r;   /* files are unlinked as they are read */
	return 0;
}

/* nftw passes no user pointer, hence this one accumulator; the bench is
 * single-threaded. */
static uint64_t du_total_bytes;

static int du_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p; (void)flag; (void)f;
	du_total_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

static uint64_t fl_disk_bytes(const char *path)
{
	du_total_bytes = 0;
	nftw(path, du_one, 16, FTW_PHYS);
	return du_total_bytes;
}

const struct backend be_files = {
	.name = "baseline",
	.create = fl_create,
	.destroy = fl_destroy,
	.tx_open = fl_tx_open,
	.send = fl_send,
	.send_batch = fl_send_batch,
	.tx_close = fl_tx_close,
	.inbox_make = fl_inbox_make,
	.rx_open = fl_rx_open,
	.rx_wait = fl_rx_wait,
	.rx_next = fl_rx_next,
	.rx_commit = fl_rx_commit,
	.rx_close = fl_rx_close,
	.disk_bytes = fl_disk_bytes,
};
