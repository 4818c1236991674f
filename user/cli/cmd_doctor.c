/* swarm doctor: preflight checks for a host or container. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"
#include "swarm.h"
#include "util.h"

#define DOCTOR_MAX_AGENTS 1000000ull

static void doctor_usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm doctor [-n AGENTS] [--shm DIR] [--live BYTES] [--json] [--strict]\n"
"\n"
"Checks whether this host or container can run a swarm of AGENTS agents:\n"
"the bus tmpfs (mounted, size, free space, inodes), ulimit -n, process\n"
"limits, kernel, BTF, BPF privileges, lockdown, tracefs, cgroup v2, and which\n"
"BPF signals will work (it loads and attaches tiny BPF programs to find out).\n"
"One line per check: OK, WARN or FAIL, what was found, and the fix.\n"
"\n"
"  -n, --agents N   agents planned (default %u)\n"
"      --shm DIR    where the bus lives (default $SWARM_SHM or /dev/shm)\n"
"      --live BYTES unread data per inbox to plan for (default 64k)\n"
"      --json       one JSON object (schema_version 1) on stdout\n"
"      --strict     exit 1 on warnings too\n"
"\n"
"Estimates (printed with the checks):\n"
"  shm need = (N+1) x (4 KiB inbox header + pageup(live)) + pageup(72 B x N)\n"
"  fd need  = 64 + 3 x N (master of a flat swarm: inbox, segment, output pipe)\n"
"\n"
"EXIT CODES: 0 all OK or warnings only, 1 at least one FAIL (or a WARN with\n"
"  --strict), 2 usage, 3 the checks themselves could not run\n"
"\n"
"EXAMPLES:\n"
"  swarm doctor -n 500\n"
"  swarm doctor --shm /mnt/bus --json | jq '.checks[] | select(.status != \"OK\")'\n",
		DOCTOR_DEF_AGENTS);
}

/* A path with a newline or escape in it could forge report lines. */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int parse_opts(int argc, char **argv, struct doctor_opts *o, bool *json,
		      bool *strict)
{
	static const struct option lo[] = {
		{ "agents", required_argument, NULL, 'n' },
		{ "shm", required_argument, NULL, 's' },
		{ "live", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &o->agents) || o->agents == 0 ||
			    o->agents > DOCTOR_MAX_AGENTS) {
				die_msg("doctor: -n wants 1..%llu agents, not '%s'",
					DOCTOR_MAX_AGENTS, optarg);
				return -EINVAL;
			}
			break;
		case 's':
			if (!optarg[0] || strlen(optarg) >= 4096 || has_control(optarg)) {
				die_msg("doctor: --shm wants a directory path (no control characters)");
				return -EINVAL;
			}
			o->shm_path = optarg;
			break;
		case 'l':
			if (parse_bytes(optarg, &o->live_bytes) ||
			    o->live_bytes > (64ull << 20)) {
				die_msg("doctor: --live wants 0..64M bytes, not '%s'", optarg);
				return -EINVAL;
			}
			break;
		case 'j': *json = true; break;
		case 'S': *strict = true; break;
		case 'h':
			doctor_usage(stdout);
			return 1;
		default:
			die_msg("doctor: unknown or incomplete option '%s' (see swarm doctor --help)",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		die_msg("doctor: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_opts o = { .agents = DOCTOR_DEF_AGENTS,
				 .live_bytes = DOCTOR_DEF_LIVE_BYTES };
	struct doctor_report *r;
	bool json = false, strict = false;
	enum doctor_status worst;
	const char *env = getenv("SWARM_SHM");
	int err;

	o.shm_path = env && env[0] ? env : "/dev/shm";
	err = parse_opts(argc, argv, &o, &json, &strict);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	r = malloc(sizeof(*r));
	if (!r) {
		die_msg("doctor: out of memory");
		return EXIT_ENV;
	}
	err = doctor_run(&o, r);
	if (err) {
		die_msg("doctor: %s", strerror(-err));
		free(r);
		return EXIT_ENV;
	}
	if (json)
		doctor_print_json(stdout, r);
	else
		doctor_print_text(stdout, r);
	worst = doctor_worst(r);
	free(r);
	if (fflush(stdout)) {
		die_msg("doctor: writing the report: %s", strerror(errno));
		return EXIT_ENV;
	}
	return worst == DOCTOR_FAIL || (strict && worst == DOCTOR_WARN) ? EXIT_JOB : EXIT_OK;
}
