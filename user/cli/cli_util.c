/* What every sub-command needs: error lines, exit codes, bus and agent
 * resolution from options or the environment. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cli.h"

void die_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("swarm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int exit_code_for(int err)
{
	switch (-err) {
	case 0: return EXIT_OK;
	case ENOBUFS: return EXIT_FULL;
	case ETIMEDOUT: return EXIT_TIMEOUT;
	case EINVAL: case EMSGSIZE: case ENAMETOOLONG: return EXIT_USAGE;
	default: return EXIT_ENV;
	}
}

int cli_open_bus(const char *dir, struct bus **out)
{
	int err;

	if (!dir)
		dir = getenv("SWARM_DIR");
	if (!dir || !*dir) {
		die_msg("no bus given: use --dir DIR or set SWARM_DIR");
		return EXIT_USAGE;
	}
	err = bus_open(dir, out);
	if (err) {
		die_msg("cannot open bus '%s': %s", dir, bus_strerror(err));
		return err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
	}
	return EXIT_OK;
}

const char *cli_agent(const char *opt, const char *what)
{
	const char *name = opt ? opt : getenv("SWARM_AGENT");

	if (!name || !*name) {
		die_msg("no agent name: use %s NAME or set SWARM_AGENT", what);
		return NULL;
	}
	if (name_valid(name)) {
		die_msg("invalid agent name '%.80s': use 1-64 of [A-Za-z0-9_-]", name);
		return NULL;
	}
	return name;
}

static const char *const type_names[] = {
	[MSG_DATA] = "data", [MSG_TASK] = "task", [MSG_RESULT] = "result",
	[MSG_HEARTBEAT] = "heartbeat", [MSG_STOP] = "stop", [MSG_FAIL] = "fail",
	[MSG_CONTROL] = "control",
};

int msg_type_parse(const char *s)
{
	uint64_t v;
	unsigned i;

	for (i = 0; i <= MSG_TYPE_MAX; i++)
		if (!strcmp(s, type_names[i]))
			return (int)i;
	if (!parse_u64(s, &v) && v <= MSG_TYPE_MAX)
		return (int)v;
	return -1;
}

const char *msg_type_name(unsigned type)
{
	return type <= MSG_TYPE_MAX ? type_names[type] : "unknown";
}
