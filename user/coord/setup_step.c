/* The setup steps' words and exit codes (see setup_step.h). */
#include <errno.h>

#include "setup_step.h"
#include "swarm.h"

/* usage: the errnos that mean the argument was wrong, 0-terminated. Not
 * there, not a task file, too long: the user's. There but unreadable
 * (permission, I/O): the environment's -- except for the command, whose
 * "not executable" is as much the argument as "not found". */
static const struct {
	const char *text;
	int usage[6];
} steps[STEP_MAX] = {
	[STEP_START]        = { "starting", { 0 } },
	[STEP_TASKS]        = { "reading the tasks",
				{ ENOENT, ENOTDIR, EISDIR, EINVAL, E2BIG, 0 } },
	[STEP_COMMAND]      = { "finding the command",
				{ ENOENT, EACCES, EINVAL, E2BIG, 0 } },
	[STEP_SELF]         = { "locating the swarm binary", { 0 } },
	[STEP_RESULTS]      = { "opening the results file", { 0 } },
	[STEP_PRIVS]        = { "dropping privileges", { 0 } },
	[STEP_BUS]          = { "creating the bus", { 0 } },
	[STEP_PIDFILE]      = { "writing master.pid", { 0 } },
	[STEP_LOGS]         = { "creating the log directory", { 0 } },
	[STEP_INBOX]        = { "opening the master inbox", { 0 } },
	[STEP_LOOP]         = { "setting up the event loop", { 0 } },
	[STEP_METRICS]      = { "starting the metrics endpoint",
				{ EINVAL, EADDRNOTAVAIL, 0 } },
	[STEP_AGENTS]       = { "starting the agents", { 0 } },
	[STEP_COORDS]       = { "starting the coordinators", { 0 } },
	[STEP_POOL]         = { "starting the worker pool", { 0 } },
	[STEP_NATS_CONNECT] = { "connecting to NATS", { 0 } },
	[STEP_NATS_SWARM]   = { "creating the swarm on the NATS server", { 0 } },
	[STEP_NATS_PUBLISH] = { "publishing the tasks", { 0 } },
	[STEP_NATS_JOIN]    = { "joining the swarm over NATS", { 0 } },
};

static int valid(enum setup_step s)
{
	return (unsigned)s < STEP_MAX;
}

const char *setup_step_text(enum setup_step s)
{
	return valid(s) ? steps[s].text : "setting up";
}

int setup_step_exit(enum setup_step s, int err)
{
	const int *u;

	if (!valid(s))
		return EXIT_ENV;
	for (u = steps[s].usage; *u; u++)
		if (err == -*u)
			return EXIT_USAGE;
	return EXIT_ENV;
}

int setup_step_is_nats(enum setup_step s)
{
	return s >= STEP_NATS_CONNECT && s <= STEP_NATS_JOIN;
}
