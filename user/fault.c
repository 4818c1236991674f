/* SWARM_FAULT=<step>:<n>: die by SIGKILL at the n-th pass of a step. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "util.h"

struct fault_state {
	char step[32];
	_Atomic uint64_t left;
};

/* Process-wide by nature: it reads the environment once. Senders may be
 * threads, so the one-time parse goes through pthread_once and the
 * countdown is atomic. */
static struct fault_state fault;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void fault_parse(void)
{
	const char *env = getenv("SWARM_FAULT");
	const char *colon;
	uint64_t n;
	size_t len;

	if (!env || !(colon = strchr(env, ':')))
		return;
	len = (size_t)(colon - env);
	if (!len || len >= sizeof(fault.step) || parse_u64(colon + 1, &n) || !n)
		return;
	memcpy(fault.step, env, len);
	fault.step[len] = 0;
	atomic_store(&fault.left, n);
}

void fault_point(const char *step)
{
	pthread_once(&fault_once, fault_parse);
	if (!fault.step[0] || strcmp(step, fault.step))
		return;
	if (atomic_fetch_sub(&fault.left, 1) == 1)
		raise(SIGKILL);
}
