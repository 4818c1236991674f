/* swarm ls: the inboxes of a bus with depth and bytes. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "json.h"

struct ls_ctx {
	int json, n;
};

static int ls_one(const struct inbox_info *i, void *arg)
{
	struct ls_ctx *c = arg;

	if (c->json) {
		printf("%s{\"name\":\"%s\",\"depth\":%llu,\"bytes\":%llu,\"msgs_in\":%llu,"
		       "\"msgs_out\":%llu,\"segments\":%llu,\"waiters\":%u,\"reader_pid\":%d,"
		       "\"max_msgs\":%llu,\"max_bytes\":%llu}",
		       c->n ? "," : "", i->name, (unsigned long long)i->depth,
		       (unsigned long long)i->bytes, (unsigned long long)i->msgs_in,
		       (unsigned long long)i->msgs_out, (unsigned long long)i->segments,
		       i->waiters, i->reader_pid, (unsigned long long)i->max_msgs,
		       (unsigned long long)i->max_bytes);
	} else {
		if (!c->n)
			printf("%-24s %8s %10s %10s %10s %5s %8s\n", "INBOX", "DEPTH", "BYTES",
			       "IN", "OUT", "SEGS", "READER");
		printf("%-24s %8llu %10llu %10llu %10llu %5llu %8d\n", i->name,
		       (unsigned long long)i->depth, (unsigned long long)i->bytes,
		       (unsigned long long)i->msgs_in, (unsigned long long)i->msgs_out,
		       (unsigned long long)i->segments, i->reader_pid);
	}
	c->n++;
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, 0, 'd' }, { "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct ls_ctx ctx = { 0, 0 };
	const char *dir = NULL;
	struct bus *b;
	int c, rc, err;

	optind = 0; /* 0, not 1: glibc then also drops a half-read "-hx" cluster */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': ctx.json = 1; break;
		case 'h':
			printf("USAGE: swarm ls [--dir DIR] [--json]\n"
			       "List the inboxes of a bus: unread depth and bytes, totals in/out,\n"
			       "segment files, reader pid.\nEXIT: 0 ok, 2 usage, 3 environment\n");
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		die_msg("unexpected argument '%.80s'", argv[optind]);
		return EXIT_USAGE;
	}
	if ((rc = cli_open_bus(dir, &b)))
		return rc;
	if (ctx.json) {
		printf("{\"schema_version\":1,\"dir\":");
		json_str(stdout, bus_path(b), strlen(bus_path(b)));
		printf(",\"id\":\"%s\",\"disk_bytes\":%llu,\"inboxes\":[", bus_id(b),
		       (unsigned long long)bus_disk_bytes(b));
	}
	err = bus_list(b, ls_one, &ctx);
	if (ctx.json)
		printf("]}\n");
	bus_close(b);
	if (err) {
		die_msg("cannot list bus: %s", bus_strerror(err));
		return EXIT_ENV;
	}
	return EXIT_OK;
}
