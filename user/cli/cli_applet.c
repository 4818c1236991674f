/* Built-in agents run by fork without exec: when the agents' command is
 * this very binary's demo-agent, the spawner calls it in the child. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core_path.h"
#include "spawn_process.h"

int (*cli_applet(char *const *argv))(int argc, char **argv)
{
	char path[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	const char *no = getenv("SWARM_NO_APPLET");

	if (no && *no && strcmp(no, "0"))
		return NULL;
	if (!argv[0] || !argv[1] || strcmp(argv[1], "demo-agent"))
		return NULL;
	if (spawn_resolve(argv[0], path, sizeof(path)) || !realpath(path, a))
		return NULL;
	/* this binary, or the `swarm` front that exec'd it: both hold the
	 * same demo-agent */
	if (realpath("/proc/self/exe", b) && !strcmp(a, b))
		return cmd_demo_agent;
	if (!swarm_front_path(path, sizeof(path)) && realpath(path, b) && !strcmp(a, b))
		return cmd_demo_agent;
	return NULL;
}
