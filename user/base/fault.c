/* SWARM_FAULT=<step>:<n>[:<agents>]: die by SIGKILL at the n-th pass of a
 * step (see fault.h). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "util.h"

struct fault_state {
	char step[32];
	uint64_t n;
	_Atomic uint64_t left;
	int env_set;        /* SWARM_FAULT present: check the pid */
	pid_t pid;          /* the process that parsed */
};

/* Process-wide by nature: it reads the environment once per process.
 * Senders may be threads, so the parse is done under a lock and the
 * countdown is atomic. A child forked without exec (the demo agent is an
 * applet, started by a raw clone3, so no atfork handler runs) is another
 * agent with its own SWARM_AGENT: it must not inherit its parent's armed
 * countdown, so while SWARM_FAULT is set the parse is tied to the pid and
 * done again in a new process. Unset, the cost stays one compare. */
static struct fault_state fault;
static _Atomic int fault_ready;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;

/* 1 if name is one of the comma-separated names in list. */
static int in_list(const char *list, const char *name)
{
	size_t nl = strlen(name);
	const char *p = list, *comma;

	for (;;) {
		comma = strchr(p, ',');
		if ((size_t)((comma ? comma : p + strlen(p)) - p) == nl &&
		    !strncmp(p, name, nl))
			return 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void fault_parse(void)
{
	const char *env = getenv("SWARM_FAULT"), *me = getenv("SWARM_AGENT");
	const char *colon, *agents;
	char num[24];
	uint64_t n;
	size_t len, nlen;

	memset(fault.step, 0, sizeof(fault.step));
	fault.env_set = env != NULL;
	fault.pid = getpid();
	if (!env || !(colon = strchr(env, ':')))
		return;
	len = (size_t)(colon - env);
	agents = strchr(colon + 1, ':');
	nlen = agents ? (size_t)(agents - colon - 1) : strlen(colon + 1);
	if (!len || len >= sizeof(fault.step) || !nlen || nlen >= sizeof(num))
		return;
	memcpy(num, colon + 1, nlen);
	num[nlen] = 0;
	if (parse_u64(num, &n) || !n)
		return;
	if (agents && (!me || !in_list(agents + 1, me)))
		return;
	memcpy(fault.step, env, len);
	fault.step[len] = 0;
	fault.n = n;
	atomic_store(&fault.left, n);
}

void fault_point(const char *step)
{
	char msg[96];
	int l;

	if (!atomic_load(&fault_ready) || (fault.env_set && fault.pid != getpid())) {
		pthread_mutex_lock(&fault_lock);
		if (!atomic_load(&fault_ready) || fault.pid != getpid()) {
			fault_parse();
			atomic_store(&fault_ready, 1);
		}
		pthread_mutex_unlock(&fault_lock);
	}
	if (!fault.step[0] || strcmp(step, fault.step))
		return;
	if (atomic_fetch_sub(&fault.left, 1) != 1)
		return;
	l = snprintf(msg, sizeof(msg), "swarm: fault injection: SIGKILL at %s #%llu\n",
		     step, (unsigned long long)fault.n);
	if (l > 0 && write(2, msg, (size_t)l) < 0)
		l = 0;
	raise(SIGKILL);
}
