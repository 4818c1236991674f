/* Small helpers: EINTR-safe I/O, clocks, name checks, error text. */
#ifndef SWARM_UTIL_H
#define SWARM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Retry a system call expression while it fails with EINTR. */
#define RETRY_EINTR(expr)                                  \
	({                                                 \
		long __r;                                  \
		do {                                       \
			__r = (long)(expr);                \
		} while (__r == -1 && errno == EINTR);     \
		__r;                                       \
	})

/* Whole-buffer I/O; return 0 or -errno (-EIO on a short read at EOF). */
int write_full(int fd, const void *buf, size_t len);
int pwrite_full(int fd, const void *buf, size_t len, off_t off);
ssize_t read_full(int fd, void *buf, size_t len); /* bytes read or -errno */
/* A small text file, at most len - 1 bytes, NUL-terminated: path opened
 * at dirfd (AT_FDCWD for a plain path) with O_RDONLY | O_CLOEXEC | oflags
 * (e.g. O_NOFOLLOW). 0 or -errno. */
int read_text_at(int dirfd, const char *path, int oflags, char *buf, size_t len);

uint64_t now_ns(void);      /* CLOCK_MONOTONIC */
uint64_t wall_ns(void);     /* CLOCK_REALTIME */

/* Agent/inbox names: [A-Za-z0-9_-]{1,64}. Returns 0 or -EINVAL. */
#define NAME_MAX_LEN 64
int name_valid(const char *name);

/* Parse helpers for the CLI: return 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);
int parse_seconds(const char *s, double *out);  /* "1.5", "30s", "2m", "24h" */
int parse_bytes(const char *s, uint64_t *out);  /* "64k", "1M", "2G" */

/* Duplicate up to n bytes of a path-safe string; NULL on ENOMEM. */
char *xstrdup(const char *s);

#endif
