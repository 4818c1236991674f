/* cgroup v2 groups for swarms: create, kill, freeze, wait empty, remove. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"
#include "proc.h"
#include "spawn_cgroup.h"
#include "util.h"

static const char *const mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };

static int is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup_open(const char *path, struct swarm_cgroup *cg)
{
	struct stat st;

	if (strlen(path) >= sizeof(cg->path))
		return -ENAMETOOLONG;
	if (!is_cgroup2(path))
		return -ENOTSUP;
	cg->dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (cg->dirfd < 0)
		return -errno;
	if (fstat(cg->dirfd, &st) < 0) {
		int err = -errno;
		close(cg->dirfd);
		cg->dirfd = -1;
		return err;
	}
	cg->id = (uint64_t)st.st_ino;
	strcpy(cg->path, path);
	return 0;
}

/* Groups stay root's even when the master's file system uid is the agents'
 * user (--user): every change below goes through priv_fs_root. */
static int make_group(const char *path, struct swarm_cgroup *cg)
{
	struct priv_fs fs = priv_fs_root();
	int err = 0;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		err = -errno;
	priv_fs_restore(fs);
	return err ? err : cgroup_open(path, cg);
}

/* <mount><own cgroup>/swarm: the parent of every swarm's group. It exists
 * so that a master without capabilities can still create and remove its
 * group: the root of the hierarchy is read-only (0555) to all but
 * CAP_DAC_OVERRIDE, a group we made is 0755 and ours. */
static int parent_path(char *out, size_t len)
{
	char own[PATH_MAX];
	size_t i;
	int err;

	err = proc_cgroup(NULL, own, sizeof(own));
	if (err)
		return err;
	if (!strcmp(own, "/"))
		own[0] = 0;
	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		if (!is_cgroup2(mounts[i]))
			continue;
		if ((size_t)snprintf(out, len, "%s%s/swarm", mounts[i], own) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOTSUP;
}

int cgroup_prepare(void)
{
	char path[PATH_MAX];
	struct priv_fs fs;
	int err = parent_path(path, sizeof(path));

	if (err)
		return err;
	fs = priv_fs_root();
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		err = -errno;
	priv_fs_restore(fs);
	return err;
}

int cgroup_create(const char *name, struct swarm_cgroup *cg)
{
	char parent[PATH_MAX], path[PATH_MAX];
	int err;

	cg->dirfd = -1;
	if (name_valid(name))
		return -EINVAL;
	err = cgroup_prepare();
	if (err)
		return err;
	err = parent_path(parent, sizeof(parent));
	if (err)
		return err;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent, name) >= sizeof(path))
		return -ENAMETOOLONG;
	return make_group(path, cg);
}

int cgroup_create_child(const struct swarm_cgroup *parent, const char *name,
			struct swarm_cgroup *cg)
{
	char path[PATH_MAX];

	cg->dirfd = -1;
	if (name_valid(name))
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent->path, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return make_group(path, cg);
}

static int write_knob(const struct swarm_cgroup *cg, const char *knob,
		      const char *val)
{
	char path[PATH_MAX + 32];
	struct priv_fs fs;
	int fd, err = 0;
	size_t n = strlen(val);

	/* O_PATH dirfds cannot be used with openat for writing on every
	 * kernel, so go through the full path. */
	snprintf(path, sizeof(path), "%s/%s", cg->path, knob);
	fs = priv_fs_root();
	fd = open(path, O_WRONLY | O_CLOEXEC);
	priv_fs_restore(fs);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

int cgroup_kill(const struct swarm_cgroup *cg)
{
	return write_knob(cg, "cgroup.kill", "1");
}

int cgroup_freeze(const struct swarm_cgroup *cg, int frozen)
{
	return write_knob(cg, "cgroup.freeze", frozen ? "1" : "0");
}

int cgroup_populated(const struct swarm_cgroup *cg)
{
	char path[PATH_MAX + 32], buf[256];
	ssize_t n;
	int fd;
	const char *p;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	p = strstr(buf, "populated ");
	if (!p)
		return -EBADMSG;
	return p[10] == '1';
}

int cgroup_wait_empty(const struct swarm_cgroup *cg, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct timespec ts = { 0, 1000000 };
	int r;

	/* Only used on the rare kill paths: a short sleep loop is simpler
	 * than an inotify watch on cgroup.events and costs nothing there. */
	for (;;) {
		r = cgroup_populated(cg);
		if (r <= 0)
			return r;
		if (now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

int cgroup_remove(struct swarm_cgroup *cg)
{
	char path[PATH_MAX * 2];
	struct priv_fs fs;
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (cg->dirfd < 0)
		return 0;
	fs = priv_fs_root();
	d = opendir(cg->path);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", cg->path, e->d_name);
			rmdir(path);
		}
		closedir(d);
	}
	if (rmdir(cg->path) < 0)
		err = -errno;
	priv_fs_restore(fs);
	cgroup_close(cg);
	return err;
}

void cgroup_close(struct swarm_cgroup *cg)
{
	if (cg->dirfd >= 0)
		close(cg->dirfd);
	cg->dirfd = -1;
}
