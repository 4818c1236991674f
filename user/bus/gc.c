/* swarm gc: remove what dead swarms left behind (see user/bus/gc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "gc.h"
#include "priv.h"
#include "spawn_cgroup.h"
#include "util.h"

#define CG_ROOT "/sys/fs/cgroup/"

/* A directory entry that may be a bus: swarm-<valid id>, a real directory
 * (not a symlink), closed to others, and ours, or, for root, any user's
 * (a --user swarm's bus is its user's). *owner, *group: its ids. */
static int looks_like_bus(int basefd, const char *name, uid_t *owner, gid_t *group)
{
	struct stat st;

	if (strncmp(name, "swarm-", 6) || name_valid(name + 6))
		return 0;
	if (fstatat(basefd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	*owner = st.st_uid;
	*group = st.st_gid;
	return S_ISDIR(st.st_mode) && !(st.st_mode & 077) &&
	       (st.st_uid == geteuid() || (geteuid() == 0 && !priv_can_switch_user()));
}

/* The path in <bus>/cgroup, if it names this swarm's own group under the
 * cgroup mount: absolute, no "." or ".." or empty component, last one
 * swarm-<id>. Anything else is ignored, never followed. */
static int read_cgroup_path(struct bus *b, char *out, size_t len)
{
	char want[NAME_MAX_LEN + 8], *p, *save = NULL, copy[PATH_MAX];
	const char *last = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	out[0] = 0;
	fd = openat(bus_dirfd(b), "cgroup", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != priv_fs_uid()) {
		close(fd);
		return -EBADMSG;
	}
	n = read_full(fd, copy, sizeof(copy) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? (int)n : -EBADMSG;
	copy[n] = 0;
	copy[strcspn(copy, "\n")] = 0;
	if (strncmp(copy, CG_ROOT, strlen(CG_ROOT)) || strlen(copy) >= len)
		return -EBADMSG;
	snprintf(out, len, "%s", copy);
	if (strstr(copy, "//"))
		goto bad;
	for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, ".") || !strcmp(p, ".."))
			goto bad;
		last = p;
	}
	snprintf(want, sizeof(want), "swarm-%s", bus_id(b));
	if (last && !strcmp(last, want))
		return 0;
bad:
	out[0] = 0;
	return -EBADMSG;
}

/* The dead swarm's cgroup: 1 processes remain (left alone), 0 removed or
 * none, -errno. */
static int reap_cgroup(const char *path, int dry_run)
{
	struct swarm_cgroup cg = { .dirfd = -1 };
	int err;

	if (!path[0])
		return 0;
	err = cgroup_open(path, &cg);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = cgroup_populated(&cg);
	if (err || dry_run) {
		cgroup_close(&cg);
		return err;
	}
	return cgroup_remove(&cg);
}

static void judge(const char *base, const char *name, int dry_run,
		  void (*fn)(const struct gc_entry *, void *), void *arg,
		  struct gc_stats *st)
{
	char path[PATH_MAX], cgpath[PATH_MAX];
	struct gc_entry e = { .bus = path, .cgroup = cgpath };
	struct bus *b;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", base, name) >= (int)sizeof(path))
		return;
	/* bus_open checks again, on the fd: no symlink, owner, mode, meta. */
	if (bus_open(path, &b))
		return;
	if (strcmp(bus_id(b), name + 6)) {
		bus_close(b);
		return;
	}
	r = bus_owner_gone(b);
	if (r <= 0) {
		if (r == 0)
			st->live++;
		else if (r == -ENOENT)
			st->unowned++;
		bus_close(b);
		return;
	}
	/* Dead owner; we hold its lock now, so no other gc acts on it. */
	read_cgroup_path(b, cgpath, sizeof(cgpath));
	r = reap_cgroup(cgpath, dry_run);
	if (r == 1) {
		e.verdict = GC_KEPT_BUSY;
		st->kept++;
		bus_close(b);
	} else if (r < 0) {
		e.verdict = GC_FAILED;
		e.err = r;
		st->failed++;
		bus_close(b);
	} else if (dry_run) {
		e.verdict = GC_REMOVED;
		st->removed++;
		bus_close(b);
	} else {
		r = bus_destroy(b);
		e.verdict = r ? GC_FAILED : GC_REMOVED;
		e.err = r;
		if (r)
			st->failed++;
		else
			st->removed++;
	}
	fn(&e, arg);
}

int gc_run(const char *base, int dry_run,
	   void (*fn)(const struct gc_entry *e, void *arg), void *arg,
	   struct gc_stats *st)
{
	struct dirent *de;
	DIR *d;

	memset(st, 0, sizeof(*st));
	if (!base)
		base = bus_default_base();
	d = opendir(base);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uid_t owner;
		gid_t group;
		struct priv_fs fs = { .changed = 0 };

		if (!looks_like_bus(dirfd(d), de->d_name, &owner, &group))
			continue;
		/* Root judges another user's bus as that user (file system
		 * ids): nothing it does there can reach beyond what the owner
		 * could do itself. The cgroup calls switch back to root. */
		if (owner != geteuid())
			fs = priv_fs_switch(owner, group);
		judge(base, de->d_name, dry_run, fn, arg, st);
		priv_fs_restore(fs);
	}
	closedir(d);
	return 0;
}
