/* SWARM_FAULT=<step>:<n>: die by SIGKILL at the n-th pass of a step. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "util.h"

struct fault_state {
	int parsed;
	char step[32];
	uint64_t left;
};

static struct fault_state fault; /* process-wide by nature: it reads the env once */

static void fault_parse(void)
{
	const char *env = getenv("SWARM_FAULT");
	const char *colon;
	size_t len;

	fault.parsed = 1;
	if (!env || !(colon = strchr(env, ':')))
		return;
	len = (size_t)(colon - env);
	if (!len || len >= sizeof(fault.step) || parse_u64(colon + 1, &fault.left) || !fault.left)
		return;
	memcpy(fault.step, env, len);
	fault.step[len] = 0;
}

void fault_point(const char *step)
{
	if (!fault.parsed)
		fault_parse();
	if (!fault.step[0] || strcmp(step, fault.step))
		return;
	if (--fault.left == 0)
		raise(SIGKILL);
}
