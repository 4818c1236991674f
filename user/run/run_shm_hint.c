/* The "bus filesystem full" hint after a run (see run_shm_hint.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "bus.h"
#include "run_shm_hint.h"

size_t run_shm_full_count(const struct run_report *r)
{
	const char *why = bus_strerror(-ENOSPC);
	size_t i, n = 0;

	for (i = 0; i < r->nfailures; i++)
		if (strstr(r->failures[i].reason, why))
			n++;
	return n;
}

#define FIX "give it more room (docker run --shm-size=..., Kubernetes emptyDir " \
	    "medium: Memory with a larger sizeLimit) or use fewer agents at once; " \
	    "swarm doctor -n N --live BYTES estimates the need"

/* The filesystem of the bus (its directory may be gone by now: its
 * parent) and its size as text. */
static void bus_fs(const struct run_report *r, char *base, size_t blen, char *size,
		   size_t slen)
{
	struct statfs sf;
	char *slash;

	snprintf(base, blen, "%s", r->bus_dir[0] ? r->bus_dir : "/dev/shm/x");
	slash = strrchr(base, '/');
	if (slash && slash != base)
		*slash = '\0';
	if (statfs(base, &sf))
		snprintf(size, slen, "size unknown");
	else
		snprintf(size, slen, "%llu MiB",
			 (unsigned long long)sf.f_blocks * (unsigned long long)sf.f_bsize >> 20);
}

void run_shm_hint(FILE *f, const struct run_report *r)
{
	char base[4096], size[32];
	size_t n = run_shm_full_count(r);

	if (!n)
		return;
	bus_fs(r, base, sizeof(base), size, sizeof(size));
	fprintf(f, "swarm: run: %zu of %llu tasks failed because the bus filesystem %s (%s) "
		   "filled up: " FIX "\n", n, (unsigned long long)r->expected, base, size);
}

void run_shm_setup_fail(FILE *f, const char *what, const struct run_report *r)
{
	char base[4096], size[32];

	bus_fs(r, base, sizeof(base), size, sizeof(size));
	fprintf(f, "swarm: run: %s failed: no space left on the bus filesystem %s (%s): "
		   FIX "\n", what, base, size);
}
