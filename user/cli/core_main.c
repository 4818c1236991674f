/* swarm-core: the coordinating half of swarm (run, coordinator, soak,
 * doctor), exec'd by the `swarm` front with the user's arguments. It is
 * also what a master re-executes as `coordinator`, and it can run the
 * built-in demo agent in-process (applets). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "swarm.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "coordinator", cmd_coordinator },
	{ "soak", cmd_soak },
	{ "doctor", cmd_doctor },
	{ "demo-agent", cmd_demo_agent },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("swarm-core %s\n", SWARM_VERSION);
		return EXIT_OK;
	}
	for (i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	die_msg("swarm-core runs run, coordinator, soak and doctor; use 'swarm %s'",
		argc >= 2 ? argv[1] : "--help");
	return EXIT_USAGE;
}
