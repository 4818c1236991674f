/* The owner lock of a bus: the process that created a bus for a swarm
 * (the master of `swarm run`, a NATS coordinator's private bus) holds an
 * OFD write lock on <bus>/owner.lock for as long as it lives. The kernel
 * drops the lock when the owner dies, however it dies, so "the lock can be
 * taken" means "the owner is gone" without trusting a pid that may have
 * been reused. OFD locks, not flock: the flock tracer watches the swarm. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus_impl.h"
#include "priv.h"

#define OWNER_NAME "owner.lock"

static int lock_fd(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
}

int bus_hold(struct bus *b)
{
	char tmp[64];
	int fd, err;

	if (b->ownerfd >= 0)
		return 0;
	/* Locked under a temporary name, then renamed: an owner.lock that
	 * can be seen is always locked while its owner lives, so a gc
	 * running now cannot mistake a newborn swarm for a dead one. */
	snprintf(tmp, sizeof(tmp), ".tmp.owner.%d", (int)getpid());
	fd = openat(b->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = lock_fd(fd);
	if (!err && renameat(b->dirfd, tmp, b->dirfd, OWNER_NAME) < 0)
		err = -errno;
	if (err) {
		unlinkat(b->dirfd, tmp, 0);
		close(fd);
		return err;
	}
	b->ownerfd = fd;
	return 0;
}

int bus_disown(struct bus *b)
{
	int err = 0;

	if (b->ownerfd < 0)
		return 0;
	if (unlinkat(b->dirfd, OWNER_NAME, 0) < 0 && errno != ENOENT)
		err = -errno;
	close(b->ownerfd);
	b->ownerfd = -1;
	return err;
}

int bus_owner_gone(struct bus *b)
{
	struct stat st;
	int fd, err;

	if (b->ownerfd >= 0)
		return 0;               /* we are the owner */
	fd = openat(b->dirfd, OWNER_NAME, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != priv_fs_uid()) {
		close(fd);
		return -EBADMSG;
	}
	err = lock_fd(fd);
	if (err) {
		close(fd);
		return err == -EBUSY ? 0 : err;
	}
	/* Free because the owner let go on purpose (run --keep unlinks the
	 * file, then unlocks) or removed the bus: not a dead owner. */
	if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
		close(fd);
		return -ENOENT;
	}
	/* Keep the lock: a second gc now sees this bus as owned. */
	b->ownerfd = fd;
	return 1;
}

int bus_owner_alive(struct bus *b)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	if (b->ownerfd >= 0)
		return 1;
	fd = openat(b->dirfd, OWNER_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* F_OFD_GETLK tests without taking: a watcher must not look like an
	 * owner to swarm gc (bus_owner_gone keeps what it takes). */
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		fl.l_type = F_UNLCK;
	close(fd);
	return fl.l_type != F_UNLCK;
}

int bus_master_pid(int dirfd, pid_t *out)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd = openat(dirfd, "master.pid", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (errno || end == buf || *end || v <= 0 || v > 4194304) /* PID_MAX_LIMIT */
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}
