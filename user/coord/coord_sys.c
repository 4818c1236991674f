/* Agent environments and resource sampling for coordinators. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/signalfd.h>

#include "coord_sys.h"
#include "priv.h"
#include "report.h"

extern char **environ;

static int is_ours(const char *kv)
{
	static const char *const names[] = { "SWARM_DIR=", "SWARM_ID=",
		"SWARM_AGENT=", "SWARM_PARENT=", "SWARM_TASK_ID=" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(kv, names[i], strlen(names[i])))
			return 1;
	return 0;
}

int agent_env_init(struct agent_env *e, const char *dir, const char *id)
{
	size_t n = 0, i;

	memset(e, 0, sizeof(*e));
	while (environ && environ[n])
		n++;
	e->envp = calloc(n + 6, sizeof(char *));
	if (asprintf(&e->dir, "SWARM_DIR=%s", dir) < 0)
		e->dir = NULL;
	if (asprintf(&e->id, "SWARM_ID=%s", id) < 0)
		e->id = NULL;
	if (!e->envp || !e->dir || !e->id) {
		agent_env_free(e);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (!is_ours(environ[i]))
			e->envp[e->base++] = environ[i];
	e->envp[e->base] = e->dir;
	e->envp[e->base + 1] = e->id;
	e->envp[e->base + 2] = e->agent;
	e->envp[e->base + 3] = e->parent;
	e->envp[e->base + 4] = e->task;
	e->envp[e->base + 5] = NULL;
	return 0;
}

void agent_env_set(struct agent_env *e, const char *agent, const char *parent,
		   uint64_t task_id)
{
	snprintf(e->agent, sizeof(e->agent), "SWARM_AGENT=%s", agent);
	snprintf(e->parent, sizeof(e->parent), "SWARM_PARENT=%s", parent);
	if (task_id)
		snprintf(e->task, sizeof(e->task), "SWARM_TASK_ID=%llu",
			 (unsigned long long)task_id);
	else
		snprintf(e->task, sizeof(e->task), "SWARM_TASK_ID=");
}

void agent_env_free(struct agent_env *e)
{
	free(e->envp);
	free(e->dir);
	free(e->id);
	memset(e, 0, sizeof(*e));
}

int coord_drop_privileges(const struct priv_user *u, struct run_report *rep)
{
	int r = priv_drop(u);

	if (r < 0)
		return r;
	rep->priv_dropped = r > 0;
	if (u) {
		snprintf(rep->run_as, sizeof(rep->run_as), "%s", u->name);
		rep->run_as_uid = (unsigned)u->uid;
	}
	priv_describe(rep->caps_kept, sizeof(rep->caps_kept));
	return 0;
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void coord_block_signals(void)
{
	sigset_t set;

	stop_signals(&set);
	sigaddset(&set, SIGCHLD); /* read from the pool's signalfd (coord_pool.c) */
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int coord_signalfd(void)
{
	sigset_t set;

	stop_signals(&set);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
