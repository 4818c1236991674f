/* Host checks: the bus filesystem (mount, size, free space, inodes), the
 * fd limit, and the process limits a swarm of N agents runs into. */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "doctor_checks.h"
#include "proc.h"

/* Bytes to put in a --shm-size / sizeLimit fix: twice the need, in MiB. */
static unsigned long long fix_mib(uint64_t need)
{
	return (unsigned long long)((2 * need + (1 << 20) - 1) >> 20);
}

/* 0 = tmpfs, 1 = other filesystem, -errno = unusable. */
static int shm_mount_check(struct doctor_report *r, struct statfs *sf)
{
	const char *p = r->opts.shm_path;
	struct stat st;

	int err = 0;

	if (stat(p, &st) || statfs(p, sf))
		err = -errno;
	else if (!S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	if (err) {
		check_add(r, "shm_mount", DOCTOR_FAIL,
			  "mount a tmpfs there (mount -t tmpfs -o size=256m tmpfs /dev/shm) "
			  "or point swarm at one with SWARM_SHM=DIR",
			  "%s: %s", p, strerror(-err));
		return err;
	}
	if (access(p, W_OK | X_OK)) {
		check_add(r, "shm_mount", DOCTOR_FAIL,
			  "run as a user who may create files there, or use SWARM_SHM=DIR",
			  "%s is not writable by uid %u", p, (unsigned)geteuid());
		return -EACCES;
	}
	if (sf->f_type != TMPFS_MAGIC) {
		check_add(r, "shm_mount", DOCTOR_WARN,
			  "use a tmpfs (RAM): /dev/shm, docker --shm-size, or a Kubernetes "
			  "emptyDir with medium: Memory",
			  "%s is not tmpfs (f_type 0x%lx): the bus works but every write "
			  "goes through a disk filesystem", p, (unsigned long)sf->f_type);
		return 1;
	}
	check_add(r, "shm_mount", DOCTOR_OK, NULL, "%s is tmpfs, writable", p);
	return 0;
}

static void shm_space_checks(struct doctor_report *r, const struct statfs *sf)
{
	uint64_t size = (uint64_t)sf->f_blocks * (uint64_t)sf->f_bsize;
	uint64_t avail = (uint64_t)sf->f_bavail * (uint64_t)sf->f_bsize;
	uint64_t need = r->shm_need, files = 2 * (r->opts.agents + 1) + 16;
	char s_size[32], s_avail[32], s_need[32], s_live[32], fix[DOCTOR_TEXT];
	enum doctor_status st;

	fmt_size(s_size, sizeof(s_size), size);
	fmt_size(s_avail, sizeof(s_avail), avail);
	fmt_size(s_need, sizeof(s_need), need);
	fmt_size(s_live, sizeof(s_live), r->opts.live_bytes);
	snprintf(fix, sizeof(fix),
		 "give it %llu MiB: docker run --shm-size=%llum; Kubernetes emptyDir "
		 "{medium: Memory, sizeLimit: %lluMi} on /dev/shm; on a host: mount -o "
		 "remount,size=%llum %s",
		 fix_mib(need), fix_mib(need), fix_mib(need), fix_mib(need),
		 r->opts.shm_path);
	st = size < need ? DOCTOR_FAIL : size < 2 * need ? DOCTOR_WARN : DOCTOR_OK;
	check_add(r, "shm_size", st, fix,
		  "size %s, need %s for %llu agents = (N+1) x (4 KiB inbox header + "
		  "%s unread data, page-rounded) + 72 B x N dedup (--live sets the "
		  "unread data; WARN under 2x need)",
		  s_size, s_need, (unsigned long long)r->opts.agents, s_live);

	st = avail < need ? DOCTOR_FAIL : avail < 2 * need ? DOCTOR_WARN : DOCTOR_OK;
	check_add(r, "shm_free", st,
		  "free space: remove stale buses (swarm destroy --dir DIR) or enlarge the "
		  "tmpfs as for shm_size",
		  "%s free of %s, need %s", s_avail, s_size, s_need);

	/* tmpfs with nr_inodes=0 reports no inode limit (f_files == 0). */
	if (sf->f_files == 0)
		check_add(r, "shm_inodes", DOCTOR_OK, NULL, "no inode limit; need %llu files",
			  (unsigned long long)files);
	else
		check_add(r, "shm_inodes", (uint64_t)sf->f_ffree < files ? DOCTOR_FAIL : DOCTOR_OK,
			  "remount the tmpfs with more inodes (-o nr_inodes=...)",
			  "%llu inodes free, need %llu (an inbox file and a segment per agent)",
			  (unsigned long long)sf->f_ffree, (unsigned long long)files);
}

static void nofile_check(struct doctor_report *r)
{
	struct rlimit rl;
	unsigned long long need = r->fd_need, cur, max;
	char fix[DOCTOR_TEXT];

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		check_add(r, "nofile", DOCTOR_WARN, "check ulimit -n", "getrlimit: %s",
			  strerror(errno));
		return;
	}
	cur = rl.rlim_cur == RLIM_INFINITY ? ~0ull : rl.rlim_cur;
	max = rl.rlim_max == RLIM_INFINITY ? ~0ull : rl.rlim_max;
	snprintf(fix, sizeof(fix),
		 "%s: ulimit -n %llu%s; docker run --ulimit nofile=%llu:%llu; systemd "
		 "LimitNOFILE=%llu; or use the hybrid topology so each coordinator holds fewer",
		 max >= need ? "raise the soft limit" : "raise the hard limit (as root)",
		 need, max >= need ? "" : " (as root: ulimit -Hn first)", need, need, need);
	check_add(r, "nofile", cur >= need ? DOCTOR_OK : max >= need ? DOCTOR_WARN : DOCTOR_FAIL,
		  fix, "ulimit -n soft %llu, hard %llu; the master of a flat swarm needs ~%llu "
		  "= 64 + 3 x %llu agents (inbox, segment, output pipe)",
		  cur, max, need, (unsigned long long)r->opts.agents);
}

/* Read the first unsigned number of a file, or "max" as ~0. -errno. */
static int read_limit(const char *path, unsigned long long *v)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	if (!strncmp(buf, "max", 3)) {
		*v = ~0ull;
		return 0;
	}
	return sscanf(buf, "%llu", v) == 1 ? 0 : -EINVAL;
}

/* This process's group in the v1 hierarchy of `controller`: 0 or -errno. */
static int own_cgroup_v1(const char *controller, char *root, size_t rlen,
			 char *dir, size_t dlen)
{
	char path[4096];
	int err = proc_find_mount("cgroup", controller, root, rlen);

	if (err || (err = proc_cgroup(controller, path, sizeof(path))))
		return err;
	return (size_t)snprintf(dir, dlen, "%s%s", root, strcmp(path, "/") ? path : "") >= dlen
		       ? -ENAMETOOLONG : 0;
}

/* Tightest limit - usage (files `lim`, `use`) from dir up to root. */
static unsigned long long room_walk(const char *root, char *dir, const char *lim,
				    const char *use, char *where, size_t wlen,
				    unsigned long long room)
{
	char path[2200];
	unsigned long long max, cur;
	char *slash;

	for (;;) {
		snprintf(path, sizeof(path), "%s/%s", dir, lim);
		if (!read_limit(path, &max) && max != ~0ull) {
			snprintf(path, sizeof(path), "%s/%s", dir, use);
			if (read_limit(path, &cur))
				cur = 0;
			if (max - (cur < max ? cur : max) < room) {
				room = max - (cur < max ? cur : max);
				snprintf(where, wlen, "%s", dir);
			}
		}
		if (strlen(dir) <= strlen(root) || !(slash = strrchr(dir, '/')))
			break;
		*slash = '\0';
	}
	return room;
}

/* Room left under the pids limits of our cgroup (v2, and v1 "pids"). */
static unsigned long long cgroup_pids_room(char *where, size_t wlen)
{
	char root[1024], dir[2048];
	unsigned long long room = ~0ull;

	if (!own_cgroup_v2(root, sizeof(root), dir, sizeof(dir)))
		room = room_walk(root, dir, "pids.max", "pids.current", where, wlen, room);
	if (!own_cgroup_v1("pids", root, sizeof(root), dir, sizeof(dir)))
		room = room_walk(root, dir, "pids.max", "pids.current", where, wlen, room);
	return room;
}

/* tmpfs pages are memory, charged to our memory cgroup: the bus must fit
 * in what the cgroup limit and the machine have left. */
static void memory_check(struct doctor_report *r)
{
	char root[1024], dir[2048], where[2048] = "", s_room[32], s_need[32];
	unsigned long long room = ~0ull, avail_kb = 0;
	char line[256];
	FILE *f;

	if (!own_cgroup_v2(root, sizeof(root), dir, sizeof(dir)))
		room = room_walk(root, dir, "memory.max", "memory.current", where,
				 sizeof(where), room);
	if (!own_cgroup_v1("memory", root, sizeof(root), dir, sizeof(dir)))
		room = room_walk(root, dir, "memory.limit_in_bytes", "memory.usage_in_bytes",
				 where, sizeof(where), room);
	f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &avail_kb) == 1)
			break;
	if (f)
		fclose(f);
	if (avail_kb && avail_kb * 1024 < room) {
		room = avail_kb * 1024;
		snprintf(where, sizeof(where), "MemAvailable");
	}
	fmt_size(s_need, sizeof(s_need), r->shm_need);
	if (room == ~0ull) {
		check_add(r, "memory", DOCTOR_OK, NULL, "no memory limit found; bus needs %s",
			  s_need);
		return;
	}
	fmt_size(s_room, sizeof(s_room), room);
	check_add(r, "memory",
		  room < r->shm_need ? DOCTOR_FAIL : room < 2 * r->shm_need ? DOCTOR_WARN : DOCTOR_OK,
		  "raise the memory limit (docker run --memory, Kubernetes resources.limits.memory): "
		  "tmpfs pages count against it",
		  "%s left (%s); the bus alone needs %s of RAM (tmpfs), agents need more",
		  s_room, where, s_need);
}

static void pids_check(struct doctor_report *r)
{
	unsigned long long need = r->opts.agents + 16, room, pid_max = ~0ull;
	char where[2048] = "", text[DOCTOR_TEXT] = "";
	struct rlimit rl;
	size_t off = 0;

	room = cgroup_pids_room(where, sizeof(where));
	if (room != ~0ull)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"cgroup %s allows %llu more; ", where, room);
	/* root (INIT_USER) is exempt from RLIMIT_NPROC */
	if (geteuid() != 0 && !getrlimit(RLIMIT_NPROC, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		if (rl.rlim_cur < room)
			room = rl.rlim_cur;
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"ulimit -u %llu (counts all your processes); ",
					(unsigned long long)rl.rlim_cur);
	}
	if (!read_limit("/proc/sys/kernel/pid_max", &pid_max)) {
		if (pid_max < room)
			room = pid_max;
		off += (size_t)snprintf(text + off, sizeof(text) - off, "pid_max %llu; ",
					pid_max);
	}
	check_add(r, "processes", room < need ? DOCTOR_FAIL : DOCTOR_OK,
		  "raise the limit: docker run --pids-limit, Kubernetes podPidsLimit, "
		  "ulimit -u, or pids.max of the cgroup",
		  "%sneed %llu processes (agents + coordinators + master)", text, need);
}

void doctor_host_checks(struct doctor_report *r)
{
	struct statfs sf;

	if (shm_mount_check(r, &sf) >= 0)
		shm_space_checks(r, &sf);
	memory_check(r);
	nofile_check(r);
	pids_check(r);
}
