/* swarm: the command users and agents type. Agents call `swarm send`,
 * `swarm recv` and friends many times, so this binary holds only the bus
 * and links nothing but libc: an exec costs what /bin/true costs. The
 * commands that coordinate (run, coordinator, soak, doctor) live in
 * swarm-core, which this front execs with the same arguments. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core_path.h"
#include "swarm.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv); /* NULL: runs in swarm-core */
	const char *help;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create a private bus, print its path" },
	{ "send", cmd_send, "append a message (or a batch) to an inbox" },
	{ "recv", cmd_recv, "read messages from an inbox" },
	{ "ls", cmd_ls, "list the inboxes of a bus" },
	{ "destroy", cmd_destroy, "remove a bus directory" },
	{ "gc", cmd_gc, "remove the buses and cgroups of swarms whose master died" },
	{ "run", NULL, "run a swarm of agents and report (flat or hybrid)" },
	{ "coordinator", NULL, "one hybrid coordinator (started by run)" },
	{ "demo-agent", cmd_demo_agent, "built-in agent for demos and tests" },
	{ "pause", cmd_pause, "freeze the agents of a running swarm" },
	{ "resume", cmd_resume, "thaw the agents of a running swarm" },
	{ "status", cmd_status, "list the agents of a running swarm and their states" },
	{ "top", cmd_top, "live view of a running swarm: states, msgs/s, delivery, slowest" },
	{ "doctor", NULL, "preflight checks for this host or container" },
	{ "soak", NULL, "run rounds of a swarm for hours; judge fd leaks, memory, crashes" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "USAGE: swarm SUBCOMMAND [OPTIONS]   (swarm SUBCOMMAND --help)\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n  --version    print the version and exit\n"
		   "\nEXIT CODES: 0 ok, 1 job failed / nothing to read, 2 usage,\n"
		   "  3 environment (permission, no space, no such bus), 4 inbox full,\n"
		   "  5 recv: the coordinator said stop, 6 soak: a warning threshold\n"
		   "  crossed, 124 timeout, 128+N stopped by signal N\n"
		   "\nEXAMPLES:\n"
		   "  swarm run -n 100 -- swarm demo-agent\n"
		   "  dir=$(swarm init); swarm send --dir \"$dir\" --from a --to b hi\n"
		   "\nSee swarm(1) and swarm-SUBCOMMAND(1).\n");
}

/* Hand the command line to swarm-core. SWARM_BIN tells it (and, through
 * it, the agents) which front the user ran, unless the caller chose one. */
static int exec_core(char **argv)
{
	char core[PATH_MAX], self[PATH_MAX];
	int err = swarm_core_path(core, sizeof(core));

	if (err) {
		die_msg("'%s' needs swarm-core, which is not installed beside this "
			"binary (looked in the same directory and ../libexec/swarm)", argv[1]);
		return EXIT_ENV;
	}
	if (swarm_self_path(self, sizeof(self)) == 0)
		setenv("SWARM_BIN", self, 0);
	execv(core, argv);
	die_msg("cannot run %s: %s", core, strerror(errno));
	return EXIT_ENV;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("swarm %s\n", SWARM_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (!commands[i].fn)
			return exec_core(argv);
		return commands[i].fn(argc - 1, argv + 1);
	}
	die_msg("unknown sub-command '%s' (see 'swarm --help')", argv[1]);
	return EXIT_USAGE;
}
