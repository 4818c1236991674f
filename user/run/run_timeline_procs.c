/* A hybrid coordinator's worker log (logs/cK.procs): one line per worker
 * process started or reaped, so a --timeline can give hybrid workers the
 * pids, spawns and exits the master never sees (they are not its
 * children). CLOCK_MONOTONIC is one clock for every process of the host,
 * so the times need no conversion.
 *
 *   s <pid> <ns> <name>\n     started in slot <name> (cK-wN)
 *   x <pid> <ns> <wstatus>\n  reaped
 *
 * Written with one O_APPEND write each (a crash leaves whole lines); read
 * back by the master after the run, trusting nothing: a line that does
 * not parse, or a name that is not a bus name, is skipped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_timeline_int.h"

#define PROCS_MAX_BYTES (16u << 20)   /* ~250k lines: more than TL_MAX_PROCS */

int timeline_procs_line(char *buf, size_t cap, int spawned, pid_t pid, uint64_t ns,
			const char *name, int wstatus)
{
	int n = spawned ? snprintf(buf, cap, "s %d %llu %s\n", (int)pid,
				   (unsigned long long)ns, name)
			: snprintf(buf, cap, "x %d %llu %d\n", (int)pid,
				   (unsigned long long)ns, wstatus);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* One line (NUL-terminated, no '\n'); bad lines are skipped. */
static void procs_apply(struct timeline *tl, char *line)
{
	char kind, name[NAME_MAX_LEN + 2];
	unsigned long long ns;
	int pid, ws, used = 0;

	if (sscanf(line, "%c %d %llu %n", &kind, &pid, &ns, &used) < 3 || pid <= 0 || !used)
		return;
	if (kind == 's' && sscanf(line + used, "%65s", name) == 1 && !name_valid(name) &&
	    strstr(name, "-w"))
		timeline_spawned(tl, pid, name, TL_AGENT, ns);
	else if (kind == 'x' && sscanf(line + used, "%d", &ws) == 1)
		timeline_exited(tl, pid, ns, ws);
}

int timeline_read_procs(struct timeline *tl, int logs_fd, const char *coord)
{
	char file[NAME_MAX_LEN + 8], *buf, *line, *nl;
	struct stat st;
	size_t cap;
	ssize_t n;
	int fd;

	if (!tl || logs_fd < 0)
		return 0;
	snprintf(file, sizeof(file), "%s.procs", coord);
	fd = openat(logs_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* as large as the file (it is complete: the coordinator is gone) */
	cap = fstat(fd, &st) == 0 && st.st_size >= 0 && (uint64_t)st.st_size < PROCS_MAX_BYTES
		? (size_t)st.st_size : PROCS_MAX_BYTES;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read_full(fd, buf, cap);
	close(fd);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[n] = '\0';
	for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';   /* a torn last line has none: left out */
		procs_apply(tl, line);
	}
	free(buf);
	return 0;
}
