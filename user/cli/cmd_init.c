/* swarm init / swarm destroy: make and remove a private bus. */
#include <getopt.h>
#include <stdio.h>

#include "bus.h"
#include "cli.h"

static void init_usage(FILE *f)
{
	fprintf(f,
		"USAGE: swarm init [--base DIR] [--id ID] [--max-msgs N] [--max-bytes SIZE]\n"
		"Create a private bus directory (mode 0700) and print its path.\n"
		"  --base DIR       parent directory (default $SWARM_SHM or /dev/shm)\n"
		"  --id ID          swarm id, [A-Za-z0-9_-]{1,64} (default random)\n"
		"  --max-msgs N     unread messages an inbox may hold (default %u)\n"
		"  --max-bytes SIZE unread bytes an inbox may hold (default 64M)\n"
		"EXAMPLE: dir=$(swarm init); swarm send --dir \"$dir\" --from a --to b hi\n"
		"EXIT: 0 ok, 2 usage, 3 environment (no permission, exists, no space)\n",
		BUS_DEF_MAX_MSGS);
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, 0, 'b' }, { "id", required_argument, 0, 'i' },
		{ "max-msgs", required_argument, 0, 'm' }, { "max-bytes", required_argument, 0, 'B' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct bus_limits lim = { 0, 0 };
	const char *base = NULL, *id = NULL;
	struct bus *b;
	int c, err;

	optind = 0; /* 0, not 1: glibc then also drops a half-read "-hx" cluster */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 'i':
			if (name_valid(optarg)) {
				die_msg("invalid --id '%.80s': use 1-64 of [A-Za-z0-9_-]", optarg);
				return EXIT_USAGE;
			}
			id = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, &lim.max_msgs) || !lim.max_msgs) {
				die_msg("invalid --max-msgs '%s': want a positive integer", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			if (parse_bytes(optarg, &lim.max_bytes) || lim.max_bytes < BUS_MAX_PAYLOAD) {
				die_msg("invalid --max-bytes '%s': want a size of at least 1M", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': init_usage(stdout); return EXIT_OK;
		default: init_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		die_msg("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	err = bus_create(base, id, &lim, &b);
	if (err) {
		die_msg("cannot create bus under %s: %s", base ? base : "/dev/shm", bus_strerror(err));
		return EXIT_ENV;
	}
	printf("%s\n", bus_path(b));
	bus_close(b);
	return EXIT_OK;
}

int cmd_destroy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, 0, 'd' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *dir = NULL;
	struct bus *b;
	int c, rc, err;

	optind = 0; /* 0, not 1: glibc then also drops a half-read "-hx" cluster */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h': printf("USAGE: swarm destroy --dir DIR\nRemove a bus and every file in it.\n"); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if ((rc = cli_open_bus(dir, &b)))
		return rc;
	if ((err = bus_destroy(b))) {
		die_msg("cannot remove bus: %s", bus_strerror(err));
		return EXIT_ENV;
	}
	return EXIT_OK;
}
