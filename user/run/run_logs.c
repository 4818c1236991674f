/* The default logs directory of swarm run: removed when there is nothing
 * in it to read (user/run/run_logs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"
#include "run_logs.h"

/* cK.log / cK.journal / cK.procs / cKrN.*: what coordinators write about
 * themselves (startup lines, the assignment journal, their workers' pids),
 * not agent output. */
static int coord_file(const char *name)
{
	const char *p = name;

	if (*p++ != 'c' || *p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == 'r' && p[1] >= '0' && p[1] <= '9')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	return !strcmp(p, ".log") || !strcmp(p, ".journal") || !strcmp(p, ".procs");
}

/* 1 if every entry may go: regular, ours, empty or coordinator's. */
static int nothing_to_read(int fd)
{
	struct dirent *de;
	struct stat st;
	int dfd = dup(fd), ok = 1;
	DIR *d;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	rewinddir(d);   /* the dup shares its offset with fd */
	while (ok && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ok = fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		     S_ISREG(st.st_mode) && st.st_uid == priv_fs_uid() &&
		     (st.st_size == 0 || coord_file(de->d_name));
	}
	closedir(d);
	return ok;
}

int run_logs_open(const char *dir, const char *leaf, char *path, size_t len, int *fd)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int n;

	/* leaf comes from a swarm or coordinator name (NATS: from the
	 * network): one plain path component or nothing. */
	if (!dir && (!*leaf || strchr(leaf, '/') || !strcmp(leaf, ".") ||
		     !strcmp(leaf, "..")))
		return -EINVAL;
	if (dir)
		n = snprintf(path, len, "%s", dir);
	else
		n = snprintf(path, len, "%s/%s", tmp && *tmp ? tmp : "/tmp", leaf);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (dir ? 0 : O_NOFOLLOW));
	if (*fd < 0)
		return -errno;
	if (!dir && (fstat(*fd, &st) < 0 || st.st_uid != priv_fs_uid() ||
		     (st.st_mode & 077))) {
		close(*fd);
		*fd = -1;
		return -EPERM;
	}
	return 0;
}

int run_logs_tidy(const char *dir)
{
	struct dirent *de;
	struct stat st;
	int fd, err = 0;
	DIR *d;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != priv_fs_uid() || !nothing_to_read(fd)) {
		close(fd);
		return 0;
	}
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 1;
}
