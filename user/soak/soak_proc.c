/* swarm soak: what /proc says about the processes of a swarm. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "soak_impl.h"

static uint64_t rss_kb(pid_t pid)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int push(struct sproc **v, size_t *n, size_t *cap, const struct proc_ent *p,
		int role)
{
	struct sproc *nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		nv = realloc(*v, *cap * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].pid = p->pid;
	(*v)[*n].ppid = p->ppid;
	(*v)[*n].start = p->start;
	(*v)[*n].role = role;
	(*n)++;
	return 0;
}

/* Children of the entries [from, to) of out, with role. */
static int add_level(const struct proc_ent *all, size_t nall, struct sproc **out,
		     size_t *n, size_t *cap, size_t from, size_t to, int role)
{
	size_t i, j;
	int err;

	for (i = 0; i < nall; i++)
		for (j = from; j < to; j++)
			if (all[i].ppid == (*out)[j].pid) {
				(*out)[j].children++;
				err = push(out, n, cap, &all[i], role);
				if (err)
					return err;
				break;
			}
	return 0;
}

int sproc_scan(pid_t root, int hybrid, struct sproc **out, size_t *n)
{
	struct proc_ent *all = NULL;
	struct sproc *v = NULL;
	size_t nall = 0, k = 0, cap = 0, i, lvl;
	struct timespec ts;
	long hz;
	int err;

	err = proc_list(&all, &nall);
	if (err)
		return err;
	for (i = 0; i < nall && all[i].pid != root; i++)
		;
	if (i == nall) {
		err = -ESRCH;
		goto out;
	}
	err = push(&v, &k, &cap, &all[i], ROLE_MASTER);
	if (!err && hybrid) {
		err = add_level(all, nall, &v, &k, &cap, 0, 1, ROLE_COORD);
		lvl = 1;
	} else {
		lvl = 0;
	}
	if (!err)
		err = add_level(all, nall, &v, &k, &cap, lvl, k, ROLE_AGENT);
	if (err)
		goto out;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	hz = sysconf(_SC_CLK_TCK);
	for (i = 0; i < k; i++) {
		v[i].fds = proc_fd_count_of(v[i].pid);
		v[i].rss_kb = rss_kb(v[i].pid);
		/* starttime is in clock ticks since boot */
		v[i].age_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 -
			     (double)v[i].start / (double)(hz > 0 ? hz : 100);
	}
	*out = v;
	*n = k;
	v = NULL;
out:
	free(v);
	free(all);
	return err;
}

void sproc_name(pid_t pid, const char *logs_dir, char *out, size_t len)
{
	size_t dl = logs_dir ? strlen(logs_dir) : 0;
	char path[64], link[PATH_MAX], *base, *dot;
	ssize_t n;
	int fd;

	out[0] = 0;
	for (fd = 2; fd >= 1 && dl; fd--) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strncmp(link, logs_dir, dl) || link[dl] != '/')
			continue;
		base = link + dl + 1;
		dot = strrchr(base, '.');
		if (!dot || (strcmp(dot, ".log") && strcmp(dot, ".err")))
			continue;
		*dot = 0;
		if (name_valid(base) == 0) {
			snprintf(out, len, "%s", base);
			return;
		}
	}
}

static int cmp_int_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

/* Kernel names of anonymous files carry an inode number; group them. */
static void normalise(char *s)
{
	static const char *const kinds[] = { "socket:[", "pipe:[" };
	size_t i, l;

	for (i = 0; i < 2; i++) {
		l = strlen(kinds[i]);
		if (!strncmp(s, kinds[i], l)) {
			s[l - 2] = 0;
			return;
		}
	}
}

int sproc_top_target(pid_t pid, unsigned newest, char *out, size_t len)
{
	char path[64], (*links)[256] = NULL;
	int *fds = NULL, *nf;
	size_t n = 0, cap = 0, i, j, k, best = 0, bestc = 0, c;
	struct dirent *e;
	ssize_t r;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			nf = realloc(fds, cap * sizeof(*fds));
			if (!nf) {
				err = -ENOMEM;
				goto out;
			}
			fds = nf;
		}
		fds[n++] = atoi(e->d_name);
	}
	qsort(fds, n, sizeof(*fds), cmp_int_desc);
	k = n < newest ? n : newest;
	links = calloc(k ? k : 1, sizeof(*links));
	if (!links) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fds[i]);
		r = readlink(path, links[i], sizeof(links[i]) - 1);
		links[i][r > 0 ? r : 0] = 0;
		normalise(links[i]);
	}
	for (i = 0; i < k; i++) {
		for (c = 0, j = 0; j < k; j++)
			c += links[i][0] && !strcmp(links[i], links[j]);
		if (c > bestc) {
			bestc = c;
			best = i;
		}
	}
	/* out keeps its last answer if the process is gone by now */
	if (bestc)
		snprintf(out, len, "%s", links[best]);
	else
		err = -ESRCH;
out:
	closedir(d);
	free(links);
	free(fds);
	return err;
}
