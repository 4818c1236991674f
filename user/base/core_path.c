/* Finding swarm-core from the front and the front from swarm-core, by
 * their places relative to each other (see user/base/core_path.h), so a
 * checkout, `make install PREFIX=...` and a DESTDIR tree all work without
 * a path compiled in. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_path.h"

int swarm_self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* dir of the running executable + rel, if that is an executable file. */
static int sibling(const char *rel, char *buf, size_t len)
{
	char self[PATH_MAX], *slash;
	int err = swarm_self_path(self, sizeof(self));

	if (err)
		return err;
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (snprintf(buf, len, "%s/%s", self, rel) >= (int)len)
		return -ENAMETOOLONG;
	return access(buf, X_OK) ? -ENOENT : 0;
}

int swarm_core_path(char *buf, size_t len)
{
	if (sibling("swarm-core", buf, len) == 0)
		return 0;
	return sibling("../libexec/swarm/swarm-core", buf, len);
}

int swarm_front_path(char *buf, size_t len)
{
	const char *env = getenv("SWARM_BIN");
	char abs[PATH_MAX];

	if (env && *env && realpath(env, abs) && access(abs, X_OK) == 0 &&
	    strlen(abs) < len) {
		snprintf(buf, len, "%s", abs);
		return 0;
	}
	if (sibling("swarm", buf, len) == 0 || sibling("../../bin/swarm", buf, len) == 0)
		return 0;
	return swarm_self_path(buf, len);
}

int swarm_export_front(void)
{
	char front[PATH_MAX], *slash, *np;
	const char *path = getenv("PATH"), *dir = front;
	size_t dl;
	int err = swarm_front_path(front, sizeof(front));

	if (err)
		return err;
	if (setenv("SWARM_BIN", front, 1))
		return -errno;
	slash = strrchr(front, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (!*front)
		dir = "/";
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	dl = strlen(dir);
	if (!strncmp(path, dir, dl) && (path[dl] == ':' || !path[dl]))
		return 0;
	if (asprintf(&np, "%s:%s", dir, path) < 0)
		return -ENOMEM;
	err = setenv("PATH", np, 1) ? -errno : 0;
	free(np);
	return err;
}
