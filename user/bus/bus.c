/* The swarm directory: create it private, open it only after checking it,
 * and reach everything inside through its dirfd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus_impl.h"
#include "priv.h"

#define META_NAME  "meta"
#define META_MAGIC BUS_META_MAGIC "\n"

const char *bus_default_base(void)
{
	const char *b = getenv("SWARM_SHM");

	return b && *b ? b : BUS_DEFAULT_BASE;
}

/* A bus directory must be ours, a real directory and closed to others. */
static int check_dir(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != priv_fs_uid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

static int random_id(char *out, size_t len)
{
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static int meta_write(struct bus *b)
{
	char buf[512], tmp[64];
	int fd, n, err;

	n = snprintf(buf, sizeof(buf), META_MAGIC "id=%s\nmax_msgs=%llu\nmax_bytes=%llu\ncreated_ns=%llu\n",
		     b->id, (unsigned long long)b->max_msgs,
		     (unsigned long long)b->max_bytes, (unsigned long long)wall_ns());
	snprintf(tmp, sizeof(tmp), ".tmp.meta.%d", (int)getpid());
	fd = openat(b->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_full(fd, buf, (size_t)n);
	close(fd);
	if (!err && renameat(b->dirfd, tmp, b->dirfd, META_NAME) < 0)
		err = -errno;
	if (err)
		unlinkat(b->dirfd, tmp, 0);
	return err;
}

/* meta is small text we wrote ourselves, but parse it as hostile input. */
static int meta_read(struct bus *b)
{
	char buf[1024], *line, *save = NULL;
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = openat(b->dirfd, META_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EBADMSG : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != priv_fs_uid()) {
		close(fd);
		return -EBADMSG;
	}
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	if (strncmp(buf, META_MAGIC, strlen(META_MAGIC)))
		return -EBADMSG;
	b->max_msgs = BUS_DEF_MAX_MSGS;
	b->max_bytes = BUS_DEF_MAX_BYTES;
	for (line = strtok_r(buf + strlen(META_MAGIC), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		uint64_t v;

		if (!eq)
			continue;
		*eq = 0;
		if (!strcmp(line, "id")) {
			if (name_valid(eq + 1))
				err = -EBADMSG;
			else
				snprintf(b->id, sizeof(b->id), "%s", eq + 1);
		} else if (!strcmp(line, "max_msgs")) {
			if (parse_u64(eq + 1, &v) || !v)
				err = -EBADMSG;
			else
				b->max_msgs = v;
		} else if (!strcmp(line, "max_bytes")) {
			if (parse_u64(eq + 1, &v) || v < BUS_MAX_PAYLOAD)
				err = -EBADMSG;
			else
				b->max_bytes = v;
		}
	}
	return b->id[0] ? err : -EBADMSG;
}

/* A DIR stream over the bus. The dup shares the file offset with dirfd,
 * so rewind: an earlier walk may have left it at the end. */
static DIR *bus_opendir(const struct bus *b)
{
	int fd = dup(b->dirfd);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

static struct bus *bus_alloc(const char *path, const char *name)
{
	struct bus *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->dirfd = b->parentfd = b->ownerfd = -1;
	b->path = strdup(path);
	b->name = strdup(name);
	if (!b->path || !b->name) {
		bus_close(b);
		return NULL;
	}
	return b;
}

int bus_create(const char *base, const char *id, const struct bus_limits *lim,
	       struct bus **out)
{
	char rid[NAME_MAX_LEN + 1] = "", name[NAME_MAX_LEN + 8], path[4096];
	struct bus *b = NULL;
	int err, pfd;

	*out = NULL;
	if (!base)
		base = bus_default_base();
	if (id && name_valid(id))
		return -EINVAL;
	if (!id) {
		if ((err = random_id(rid, sizeof(rid))))
			return err;
		id = rid;
	}
	snprintf(name, sizeof(name), "swarm-%s", id);
	if (snprintf(path, sizeof(path), "%s/%s", base, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	pfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (mkdirat(pfd, name, 0700) < 0) {
		err = -errno;
		close(pfd);
		return err;
	}
	b = bus_alloc(path, name);
	if (!b) {
		unlinkat(pfd, name, AT_REMOVEDIR);
		close(pfd);
		return -ENOMEM;
	}
	b->parentfd = pfd;
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->max_msgs = lim && lim->max_msgs ? lim->max_msgs : BUS_DEF_MAX_MSGS;
	b->max_bytes = lim && lim->max_bytes ? lim->max_bytes : BUS_DEF_MAX_BYTES;
	b->dirfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	/* mkdir honoured the umask; make the mode exact and check it. */
	if (fchmod(b->dirfd, 0700) < 0 || (err = check_dir(b->dirfd))) {
		err = err ? err : -errno;
		goto fail;
	}
	if ((err = meta_write(b)))
		goto fail;
	*out = b;
	return 0;
fail:
	bus_destroy(b);
	return err;
}

int bus_open(const char *path, struct bus **out)
{
	char *copy = NULL, *slash, *base;
	const char *parent;
	struct bus *b = NULL;
	int err;

	*out = NULL;
	if (!path || !*path || strlen(path) >= 4096)
		return -EINVAL;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	/* Strip trailing slashes so O_NOFOLLOW applies to the real last name. */
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = 0;
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = 0;
		parent = slash == copy ? "/" : copy;
		base = slash + 1;
	} else {
		parent = ".";
		base = copy;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		err = -EINVAL;
		goto out;
	}
	b = bus_alloc(path, base);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	b->parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->parentfd < 0) {
		err = -errno;
		goto out;
	}
	b->dirfd = openat(b->parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dirfd < 0) {
		/* O_NOFOLLOW|O_DIRECTORY on a symlink fails ENOTDIR or ELOOP. */
		struct stat st;
		err = -errno;
		if (!fstatat(b->parentfd, base, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
			err = -ELOOP;
		goto out;
	}
	if ((err = check_dir(b->dirfd)) || (err = meta_read(b)))
		goto out;
	*out = b;
	b = NULL;
out:
	if (b)
		bus_close(b);
	free(copy);
	return err;
}

void bus_close(struct bus *b)
{
	if (!b)
		return;
	if (b->dirfd >= 0)
		close(b->dirfd);
	if (b->parentfd >= 0)
		close(b->parentfd);
	if (b->ownerfd >= 0)
		close(b->ownerfd);
	free(b->path);
	free(b->name);
	free(b);
}

int bus_destroy(struct bus *b)
{
	DIR *d;
	struct dirent *de;
	int err = 0;

	if (!b)
		return 0;
	if (b->dirfd >= 0 && (d = bus_opendir(b))) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(b->dirfd, de->d_name, 0);
		closedir(d);
	}
	if (b->parentfd >= 0 && unlinkat(b->parentfd, b->name, AT_REMOVEDIR) < 0)
		err = -errno;
	bus_close(b);
	return err;
}

int bus_remove(const char *base, const char *id)
{
	char path[4096];
	struct bus *b;
	int err;

	if (name_valid(id))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/swarm-%s", base ? base : bus_default_base(),
		     id) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = bus_open(path, &b);
	if (err)
		return err == -ENOENT ? 0 : err;
	return bus_destroy(b);
}

const char *bus_path(const struct bus *b) { return b->path; }
const char *bus_id(const struct bus *b) { return b->id; }
int bus_dirfd(const struct bus *b) { return b->dirfd; }

uint64_t bus_disk_bytes(const struct bus *b)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;

	if (!(d = bus_opendir(b)))
		return 0;
	while ((de = readdir(d)))
		if (!fstatat(b->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			sum += (uint64_t)st.st_blocks * 512;
	closedir(d);
	return sum;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bus_list(struct bus *b, int (*fn)(const struct inbox_info *, void *), void *arg)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int err = 0;

	if (!(d = bus_opendir(b)))
		return -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[NAME_MAX_LEN + 1];

		if (len <= 6 || strcmp(de->d_name + len - 6, ".inbox") || len - 6 > NAME_MAX_LEN)
			continue;
		memcpy(name, de->d_name, len - 6);
		name[len - 6] = 0;
		if (name_valid(name))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*nn));
			if (!nn) {
				err = -ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(name))) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!err)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && !err; i++) {
		struct inbox *in;
		struct inbox_info info;

		if ((err = inbox_open(b, names[i], &in)))
			break;
		err = inbox_info(in, &info);
		inbox_close(in);
		if (!err)
			err = fn(&info, arg);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

const char *bus_strerror(int err)
{
	switch (-err) {
	case ENOBUFS: return "inbox full";
	case ENOSPC: return "no space left on the bus filesystem";
	case EMSGSIZE: return "message too large";
	case ELOOP: return "refusing a symlink in the bus";
	case EPERM: return "wrong owner or mode";
	case EBUSY: return "another reader holds this inbox";
	case EBADMSG: return "not a swarm bus";
	default: return strerror(-err);
	}
}
