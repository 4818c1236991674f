/* swarm pause | resume | status ID|--dir DIR: talk to a running master. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "swarm.h"

#define CTL_WAIT_MS 5000

static int master_alive(struct bus *b)
{
	pid_t pid;

	if (bus_master_pid(bus_dirfd(b), &pid))
		return 0;
	return kill(pid, 0) == 0 || errno == EPERM;
}

static int request(const char *dir, const char *what, int json)
{
	char me[NAME_MAX_LEN + 1];
	struct bus *b = NULL;
	struct inbox *self = NULL, *master = NULL;
	struct bus_msg m;
	const char *req = json && !strcmp(what, "status") ? "status json" : what;
	struct bus_out o = { .data = req, .len = (uint32_t)strlen(req),
			     .type = MSG_CONTROL };
	uint64_t end = now_ns() + CTL_WAIT_MS * 1000000ull;
	int err, code = EXIT_ENV, r;

	snprintf(me, sizeof(me), "ctl-%d", (int)getpid());
	err = bus_open(dir, &b);
	if (err) {
		die_msg("%s: %s: %s", what, dir, bus_strerror(err));
		return exit_code_for(err);
	}
	if (!master_alive(b)) {
		die_msg("%s: no running swarm master for %s", what, dir);
		goto out;
	}
	if ((err = inbox_open(b, me, &self)) || (err = inbox_reader_begin(self)) ||
	    (err = inbox_open(b, "master", &master)) ||
	    (err = inbox_send(master, self, &o))) {
		die_msg("%s: %s", what, bus_strerror(err));
		code = exit_code_for(err);
		goto out;
	}
	for (;;) {
		int left = (int)(((int64_t)end - (int64_t)now_ns()) / 1000000);

		r = inbox_next(self, &m);
		if (r == 1 && m.type == MSG_CONTROL && !strcmp(m.from, "master")) {
			fwrite(m.data, 1, m.len, stdout);
			code = (m.len > 6 && !memcmp(m.data, "error:", 6))
			       ? EXIT_USAGE : EXIT_OK;
			break;
		}
		if (r == 1)
			continue;
		if (r < 0 || left <= 0 || inbox_wait(self, left) < 0) {
			die_msg("%s: the master did not answer within %d s", what,
				CTL_WAIT_MS / 1000);
			code = EXIT_TIMEOUT;
			break;
		}
	}
	inbox_commit(self);
out:
	if (master)
		inbox_close(master);
	if (self)
		inbox_close(self);
	bus_close(b);
	return code;
}

static int ctl(int argc, char **argv, const char *what)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *dir_opt = NULL;
	char buf[PATH_MAX];
	int c, json = 0, code;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir_opt = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("USAGE: swarm %s ID | --dir DIR%s\n\n"
			       "%s the swarm ID (its agents' SWARM_ID; the bus is\n"
			       "$SWARM_SHM/swarm-ID, default /dev/shm), or the one whose bus is\n"
			       "DIR (as printed by swarm run --keep). SWARM_DIR stands for --dir.\n"
			       "EXIT CODES: 0 ok, 2 usage, 3 no such swarm, 124 no answer\n",
			       what, !strcmp(what, "status") ? " [--json]" : "",
			       !strcmp(what, "pause") ? "Freeze every agent of"
			       : !strcmp(what, "resume") ? "Thaw every agent of"
			       : "List the agents and their states of");
			return EXIT_OK;
		default:
			die_msg("%s: unknown or incomplete option '%s'", what,
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if ((code = cli_swarm_dir(what, dir_opt, argc, argv, optind, &dir, buf,
				  sizeof(buf))))
		return code;
	return request(dir, what, json);
}

int cmd_pause(int argc, char **argv) { return ctl(argc, argv, "pause"); }
int cmd_resume(int argc, char **argv) { return ctl(argc, argv, "resume"); }
int cmd_status(int argc, char **argv) { return ctl(argc, argv, "status"); }
