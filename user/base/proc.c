/* /proc readers (user/base/proc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

int proc_stat(pid_t pid, pid_t *ppid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	int fd, ppid_i, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 && errno == ESRCH ? -ENOENT : -EBADMSG;
	buf[n] = 0;
	/* the state follows the LAST ')': comm may hold both */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %d", &ppid_i) != 1)
		return -EBADMSG;
	/* the k-th space after ')' starts field k + 2: starttime (22) is
	 * after the 20th */
	for (i = 0; i < 20 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &st) != 1)
		return -EBADMSG;
	if (ppid)
		*ppid = ppid_i;
	if (start)
		*start = st;
	return 0;
}

int proc_list(struct proc_ent **out, size_t *n)
{
	struct proc_ent *v = NULL, *nv;
	size_t cap = 0, k = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");
	char *end;
	long pid;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 512;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[k].pid = (pid_t)pid;
		if (proc_stat(v[k].pid, &v[k].ppid, &v[k].start) == 0)
			k++; /* else gone meanwhile */
	}
	closedir(d);
	*out = v;
	*n = k;
	return 0;
}

int proc_fd_count_of(pid_t pid)
{
	char path[64], buf[8192];
	int n = 0, fd;
	long r, off;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* getdents64 directly: opendir would malloc a DIR per sample. */
	while ((r = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (d->d_name[0] != '.')
				n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return pid ? n : n ? n - 1 : 0; /* ours: minus the fd reading it */
}

unsigned proc_fd_count(void)
{
	int n = proc_fd_count_of(0);

	return n < 0 ? 0 : (unsigned)n;
}

uint64_t proc_rss_peak_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : (uint64_t)ru.ru_maxrss;
}

uint64_t proc_children_rss_peak_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_CHILDREN, &ru) ? 0 : (uint64_t)ru.ru_maxrss;
}

int proc_cgroup(const char *controller, char *out, size_t len)
{
	char line[4096 + 64], *ctl, *path;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (err == -ENOENT && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*ctl++ = '\0';  /* line: the hierarchy's id, ctl: its controllers */
		*path++ = '\0';
		if (controller ? strcmp(ctl, controller) : strcmp(line, "0") || *ctl)
			continue;
		err = (size_t)snprintf(out, len, "%s", path) >= len ? -ENAMETOOLONG : 0;
	}
	fclose(f);
	return err;
}

/* mountinfo: id parent maj:min root mountpoint opts [tags] - fstype src super */
int proc_find_mount(const char *fstype, const char *opt, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mnt[4096], fs[64], super[1024];
	int found = -ENOENT;
	const char *dash;

	if (!f)
		return -errno;
	while (found && fgets(line, sizeof(line), f)) {
		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fs, super) != 2)
			continue;
		if (strcmp(fs, fstype) || (opt && !strstr(super, opt)))
			continue;
		/* mountinfo escapes spaces as \040; such paths are not ours */
		if ((size_t)snprintf(out, len, "%s", mnt) < len)
			found = 0;
	}
	fclose(f);
	return found;
}
