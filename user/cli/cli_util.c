/* What every sub-command needs: error lines, exit codes, bus and agent
 * resolution from options or the environment. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "swarm.h"
#include "util.h"

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

int cli_swarm_dir(const char *what, const char *dir_opt, int argc, char **argv,
		  int first, const char **dir, char *buf, size_t len)
{
	const char *id;
	int l;

	if (first + 1 < argc || (first < argc && dir_opt)) {
		die_msg("%s: one swarm, either --dir DIR or an ID (see swarm %s --help)",
			what, what);
		return EXIT_USAGE;
	}
	if (first == argc) {
		*dir = dir_opt ? dir_opt : getenv("SWARM_DIR");
		if (!*dir || !**dir) {
			die_msg("%s: which swarm? give its ID or --dir DIR (or set SWARM_DIR)",
				what);
			return EXIT_USAGE;
		}
		return 0;
	}
	id = argv[first];
	if (!strncmp(id, "swarm-", 6) && id[6])
		id += 6;
	if (name_valid(id)) {
		die_msg("%s: '%s' is not a swarm ID (1-64 of [A-Za-z0-9_-]); a path "
			"goes with --dir", what, argv[first]);
		return EXIT_USAGE;
	}
	l = snprintf(buf, len, "%s/swarm-%s", bus_default_base(), id);
	if (l < 0 || (size_t)l >= len) {
		die_msg("%s: $SWARM_SHM is too long", what);
		return EXIT_USAGE;
	}
	*dir = buf;
	return 0;
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
