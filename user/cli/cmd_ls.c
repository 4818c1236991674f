/* swarm ls: the inboxes of a bus with depth and bytes. */
#include <getopt.h>
#include <stdio.h>

#include "bus.h"
#include "cli.h"
#include "json.h"

struct ls_ctx {
	int json, n;
	struct jsonw w;         /* --json: the object, its "inboxes" open */
};

static void ls_one_json(struct jsonw *w, const struct inbox_info *i)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "name", i->name);
	jsonw_uint_field(w, "depth", i->depth);
	jsonw_uint_field(w, "bytes", i->bytes);
	jsonw_uint_field(w, "msgs_in", i->msgs_in);
	jsonw_uint_field(w, "msgs_out", i->msgs_out);
	jsonw_uint_field(w, "segments", i->segments);
	jsonw_uint_field(w, "waiters", i->waiters);
	jsonw_int_field(w, "reader_pid", i->reader_pid);
	jsonw_uint_field(w, "max_msgs", i->max_msgs);
	jsonw_uint_field(w, "max_bytes", i->max_bytes);
	jsonw_end_object(w);
}

static int ls_one(const struct inbox_info *i, void *arg)
{
	struct ls_ctx *c = arg;

	if (c->json) {
		ls_one_json(&c->w, i);
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
	struct ls_ctx ctx = { 0 };
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
		jsonw_init_file(&ctx.w, stdout);
		jsonw_start_object(&ctx.w);
		jsonw_int_field(&ctx.w, "schema_version", 1);
		jsonw_string_field(&ctx.w, "dir", bus_path(b));
		jsonw_string_field(&ctx.w, "id", bus_id(b));
		jsonw_uint_field(&ctx.w, "disk_bytes", bus_disk_bytes(b));
		jsonw_name(&ctx.w, "inboxes");
		jsonw_start_array(&ctx.w);
	}
	err = bus_list(b, ls_one, &ctx);
	if (ctx.json) {
		jsonw_end_array(&ctx.w);
		jsonw_end_object(&ctx.w);
		jsonw_newline(&ctx.w);
	}
	bus_close(b);
	if (err) {
		die_msg("cannot list bus: %s", bus_strerror(err));
		return EXIT_ENV;
	}
	return EXIT_OK;
}
