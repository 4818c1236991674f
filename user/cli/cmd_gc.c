/* swarm gc: remove the buses and cgroups of swarms whose master died. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "gc.h"
#include "json.h"
#include "swarm.h"

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm gc [--base DIR] [--dry-run] [--json]\n"
"Remove what swarms whose master was killed left behind: their bus directory\n"
"(DIR/swarm-ID) and their empty cgroup. A swarm counts as dead only when the\n"
"lock its master held on DIR/swarm-ID/owner.lock is free (the kernel drops it\n"
"when the master dies), so a live swarm is never touched, whatever its pid.\n"
"Buses without that lock (swarm init, run --keep) and anything that is not a\n"
"swarm bus of yours are left alone; symlinks are never followed.\n"
"  --base DIR  where to look (default $SWARM_SHM or /dev/shm)\n"
"  --dry-run   print what would be removed, remove nothing\n"
"  --json      one JSON object: schema_version, base, dry_run, swarms (bus,\n"
"              cgroup, verdict removed|kept|failed, reason), live, unowned\n"
"Prints one line per dead swarm on stdout, a summary on stderr.\n"
"EXAMPLE: swarm gc --dry-run; swarm gc\n"
"EXIT: 0 ok (also when nothing was found), 1 a dead swarm could not be\n"
"  removed (processes remain in its cgroup, or an error), 2 usage,\n"
"  3 environment (DIR unreadable)\n");
}

struct gc_out {
	const char *base;
	int dry, json, head;
	struct jsonw w;         /* --json: the object, its "swarms" open */
};

/* Printed with the first swarm or at the end: a base that cannot be read
 * leaves stdout empty, not half an object. */
static void json_head(struct gc_out *o)
{
	if (o->head++)
		return;
	jsonw_init_file(&o->w, stdout);
	jsonw_start_object(&o->w);
	jsonw_int_field(&o->w, "schema_version", 1);
	jsonw_string_field(&o->w, "base", o->base);
	jsonw_bool_field(&o->w, "dry_run", o->dry);
	jsonw_name(&o->w, "swarms");
	jsonw_start_array(&o->w);
}

static const char *const verdicts[] = {
	[GC_REMOVED] = "removed", [GC_KEPT_BUSY] = "kept", [GC_FAILED] = "failed",
};

static void print_json(const struct gc_entry *e, struct gc_out *o)
{
	const char *why = e->verdict == GC_KEPT_BUSY ? "processes remain in its cgroup" :
			  e->verdict == GC_FAILED ? bus_strerror(e->err) : "";

	json_head(o);
	jsonw_start_object(&o->w);
	jsonw_string_field(&o->w, "bus", e->bus);
	jsonw_string_field(&o->w, "cgroup", e->cgroup[0] ? e->cgroup : NULL);
	jsonw_string_field(&o->w, "verdict", verdicts[e->verdict]);
	jsonw_string_field(&o->w, "reason", why);
	jsonw_end_object(&o->w);
}

static void print_entry(const struct gc_entry *e, void *arg)
{
	struct gc_out *o = arg;
	int dry = o->dry;

	if (o->json) {
		print_json(e, o);
		return;
	}

	switch (e->verdict) {
	case GC_REMOVED:
		printf("%s %s%s%s\n", dry ? "would remove" : "removed", e->bus,
		       e->cgroup[0] ? " and cgroup " : "", e->cgroup);
		break;
	case GC_KEPT_BUSY:
		printf("kept %s: its master is dead but processes remain in cgroup %s "
		       "(end them: echo 1 > %s/cgroup.kill; then run gc again)\n",
		       e->bus, e->cgroup, e->cgroup);
		break;
	case GC_FAILED:
		printf("failed %s: %s\n", e->bus, bus_strerror(e->err));
		break;
	}
}

int cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, 0, 'b' }, { "dry-run", no_argument, 0, 'n' },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *base = NULL;
	struct gc_stats st;
	struct gc_out o = { 0 };
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 'n': o.dry = 1; break;
		case 'j': o.json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		die_msg("gc: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!base)
		base = bus_default_base();
	o.base = base;
	err = gc_run(base, o.dry, print_entry, &o, &st);
	if (err) {
		die_msg("gc: cannot read %s: %s", base, strerror(-err));
		return EXIT_ENV;
	}
	if (o.json) {
		json_head(&o);
		jsonw_end_array(&o.w);
		jsonw_uint_field(&o.w, "live", st.live);
		jsonw_uint_field(&o.w, "unowned", st.unowned);
		jsonw_end_object(&o.w);
		jsonw_newline(&o.w);
	}
	fflush(stdout);
	fprintf(stderr, "swarm: gc %s: %u dead swarm%s %s, %u live left alone, "
		"%u without an owner lock left alone%s\n", base, st.removed,
		st.removed == 1 ? "" : "s", o.dry ? "would be removed" : "removed",
		st.live, st.unowned, st.kept + st.failed ? ", some could not be removed" : "");
	return st.kept + st.failed ? EXIT_JOB : EXIT_OK;
}
