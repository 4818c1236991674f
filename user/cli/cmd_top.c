/* swarm top ID|--dir DIR [-i SECS] [-n COUNT] [--plain | --json]: a live view
 * of a running swarm. Every interval it asks the master for a snapshot
 * ("top <seq>" over the control channel, user/top/top.h) and draws it: on a
 * terminal full screen, elsewhere one line (or JSON object) per answer.
 *
 * One poll loop over a signalfd, the ctl inbox's eventfd and the keyboard:
 * every way out (q, SIGINT, SIGTERM, SIGHUP, the swarm ending, an error)
 * returns through one place that gives the terminal back. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "swarm.h"
#include "top.h"
#include "top_tty.h"

enum mode { MODE_TTY, MODE_PLAIN, MODE_JSON };

/* How the swarm stands, from its bus alone (no pid is trusted). */
enum life { LIFE_RUNNING, LIFE_ENDED, LIFE_MASTER_GONE };

/* Why the loop ended: decides the exit code and the last words. */
enum why { WHY_NONE, WHY_ENDED, WHY_COUNT, WHY_QUIT, WHY_SIGNAL, WHY_GONE, WHY_ERROR };

#define DONE_RC 1000          /* loop finished: ctx.rc holds the exit code */
#define NO_ANSWER_WARN 5      /* unanswered requests before a pipe is told */

struct top_ctx {
	const char *dir;
	char dirbuf[PATH_MAX];        /* dir, when given as a swarm ID */
	uint64_t interval_ns, count, refreshes;
	enum mode mode;
	struct bus *bus;
	struct inbox *self, *master;
	int efd, sigfd, rc;
	enum why why;
	uint32_t seq, shown_seq;
	int have_cur, have_prev;
	struct top_snap cur, prev;
	struct top_rates rates;
	struct top_tty tty;
	char title[NAME_MAX_LEN + 8];
	char note[96];
	char *screen;
};

static int stop(struct top_ctx *c, enum why why, int rc)
{
	c->why = why;
	c->rc = rc;
	return DONE_RC;
}

static void usage(FILE *f)
{
	fprintf(f,
		"USAGE: swarm top ID | --dir DIR [-i SECONDS] [-n COUNT] [--plain | --json]\n\n"
		"A live view of a running swarm: agents by state (starting, busy, idle,\n"
		"hung, exited, failed), messages/s, delivery so far, elapsed time, the\n"
		"agents longest on their current task, and for a traced run (root) the\n"
		"lock files waited on longest and the processes growing their fd\n"
		"tables; for a hybrid swarm one row per coordinator. SWARM_DIR stands\n"
		"for --dir. On a terminal: full screen, q quits. Elsewhere (or --plain): one\n"
		"line per interval; --json: one JSON object per interval.\n\n"
		"  ID                 the swarm's id (its agents' SWARM_ID): the bus\n"
		"                     $SWARM_SHM/swarm-ID, default /dev/shm\n"
		"  --dir DIR          the swarm's bus, any path\n"
		"  -i, --interval S   seconds between refreshes (default 1, at least 0.1)\n"
		"  -n, --count N      stop after N refreshes\n"
		"  --plain            one line per interval, even on a terminal\n"
		"  --json             one JSON object per interval (schema_version 1)\n"
		"  -h, --help         this text\n\n"
		"EXIT CODES: 0 the swarm ended, COUNT refreshes shown, or q; 2 usage;\n"
		"  3 no such bus, no running master, or the master died; 128+N stopped\n"
		"  by signal N (SIGINT, SIGTERM, SIGHUP)\n\n"
		"EXAMPLES:\n"
		"  swarm top 1a2b3c\n"
		"  swarm top --dir \"$dir\" --plain -i 2 -n 10\n");
}

static int parse_args(struct top_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "plain", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir_opt = NULL;
	double secs = 1.0;
	int o, plain = 0, json = 0, code;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "hi:n:", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir_opt = optarg; break;
		case 'i':
			if (parse_seconds(optarg, &secs) || secs < 0.1 || secs > 3600) {
				die_msg("top: --interval wants seconds from 0.1 to 3600, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &c->count) || !c->count) {
				die_msg("top: --count wants a positive number, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p': plain = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			die_msg("top: unknown or incomplete option '%s' (see swarm top --help)",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if ((code = cli_swarm_dir("top", dir_opt, argc, argv, optind, &c->dir,
				  c->dirbuf, sizeof(c->dirbuf))))
		return code;
	if (plain && json) {
		die_msg("top: --plain and --json exclude each other");
		return EXIT_USAGE;
	}
	c->interval_ns = (uint64_t)(secs * 1e9);
	c->mode = json ? MODE_JSON : plain || !isatty(STDOUT_FILENO) ? MODE_PLAIN : MODE_TTY;
	return -1;
}

/* The bus removed, or its owner lock let go on purpose (run --keep): the
 * swarm ended. The lock file there but unlocked: its master died. */
static enum life swarm_life(struct top_ctx *c)
{
	struct stat st;
	int alive;

	if (fstat(bus_dirfd(c->bus), &st) < 0 || st.st_nlink == 0)
		return LIFE_ENDED;
	alive = bus_owner_alive(c->bus);
	if (alive == -ENOENT)
		return LIFE_ENDED;
	return alive > 0 ? LIFE_RUNNING : LIFE_MASTER_GONE;
}

static int open_channel(struct top_ctx *c)
{
	char me[NAME_MAX_LEN + 1];
	const char *base;
	int err;

	err = bus_open(c->dir, &c->bus);
	if (err) {
		die_msg("top: %s: %s", c->dir, bus_strerror(err));
		return EXIT_ENV;
	}
	if (swarm_life(c) != LIFE_RUNNING) {
		die_msg("top: no running swarm master for %s", c->dir);
		return EXIT_ENV;
	}
	base = strrchr(bus_path(c->bus), '/');
	snprintf(c->title, sizeof(c->title), "%s", base ? base + 1 : bus_path(c->bus));
	snprintf(me, sizeof(me), "ctl-%d", (int)getpid());
	if ((err = inbox_open(c->bus, me, &c->self)) || (err = inbox_reader_begin(c->self)) ||
	    (err = inbox_open(c->bus, "master", &c->master))) {
		die_msg("top: %s", bus_strerror(err));
		return exit_code_for(err);
	}
	c->efd = inbox_notify_fd(c->self);
	if (c->efd < 0) {
		die_msg("top: cannot watch the inbox: %s", strerror(-c->efd));
		return EXIT_ENV;
	}
	return -1;
}

/* Signals become events: blocked before the notify thread exists (it
 * inherits the mask), read from a signalfd by the loop. */
static int open_signals(struct top_ctx *c)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		die_msg("top: signals: %s", strerror(errno));
		return EXIT_ENV;
	}
	return -1;
}

static void waiting_screen(struct top_ctx *c, int cols)
{
	int n = snprintf(c->screen, TOP_SNAP_MAX - 1, "swarm top %s: %s", c->title,
			 c->note[0] ? c->note : "asking the master...");

	if (n > cols)
		n = cols > 0 ? cols : 0;
	c->screen[n] = '\n';
	c->screen[n + 1] = '\0';
}

static void draw(struct top_ctx *c)
{
	int cols, rows;

	if (c->mode != MODE_TTY || !c->tty.on)
		return;
	top_tty_size(&c->tty, &cols, &rows);
	if (c->have_cur)
		top_view_screen(&c->cur, &c->rates, c->title, c->note, cols, rows,
				c->screen, TOP_SNAP_MAX);
	else   /* not one answer yet: say so rather than show a blank screen */
		waiting_screen(c, cols);
	top_tty_draw(&c->tty, c->screen);
}

/* A new snapshot: show it in the mode's way; DONE_RC once COUNT is met. */
static int show(struct top_ctx *c)
{
	c->note[0] = '\0';
	top_rates(c->have_prev ? &c->prev : NULL, &c->cur, &c->rates);
	if (c->mode == MODE_TTY) {
		draw(c);
	} else {
		if (c->mode == MODE_JSON)
			top_view_json(stdout, &c->cur, &c->rates, wall_ns());
		else
			top_view_line(stdout, &c->cur, &c->rates, wall_ns());
		if (fflush(stdout) == EOF)   /* the reader went away */
			return stop(c, WHY_ERROR, EXIT_ENV);
	}
	if (c->count && ++c->refreshes >= c->count)
		return stop(c, WHY_COUNT, EXIT_OK);
	return 0;
}

static int on_answer(struct top_ctx *c, const struct bus_msg *m)
{
	struct top_snap s;

	if (m->len >= 6 && !memcmp(m->data, "error:", 6)) {
		die_msg("top: the master of %s does not answer top requests (%.*s)",
			c->dir, (int)(m->len > 60 ? 60 : m->len - 1), (const char *)m->data);
		return stop(c, WHY_ERROR, EXIT_ENV);
	}
	/* A malformed frame, or an answer older than one already shown, is
	 * dropped: the next interval asks again. */
	if (top_snap_decode(m->data, m->len, &s) || s.seq > c->seq ||
	    (!s.final && c->shown_seq && s.seq <= c->shown_seq))
		return 0;
	c->shown_seq = s.seq;
	if (c->have_cur) {
		c->prev = c->cur;
		c->have_prev = 1;
	}
	c->cur = s;
	c->have_cur = 1;
	if (show(c))
		return DONE_RC;
	/* The master's last word: the end state is on screen. */
	return s.final ? stop(c, WHY_ENDED, EXIT_OK) : 0;
}

static int drain(struct top_ctx *c)
{
	struct bus_msg m;
	uint64_t junk;
	int r = 0;

	if (read(c->efd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		return 0;
	while (!r && inbox_next(c->self, &m) == 1)
		if (m.type == MSG_CONTROL && !strcmp(m.from, "master"))
			r = on_answer(c, &m);
	inbox_commit(c->self);
	return r;
}

static int on_signal(struct top_ctx *c)
{
	struct signalfd_siginfo si;

	while (read(c->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGWINCH:
			draw(c);
			break;
		case SIGTSTP:
			/* Give the terminal back while stopped. */
			if (c->mode == MODE_TTY) {
				top_tty_leave(&c->tty);
				kill(getpid(), SIGSTOP);
			}
			break;
		case SIGCONT:
			if (c->mode == MODE_TTY && !c->tty.on &&
			    !top_tty_enter(&c->tty, STDOUT_FILENO, STDIN_FILENO))
				draw(c);
			break;
		default:
			return stop(c, WHY_SIGNAL, 128 + (int)si.ssi_signo);
		}
	}
	return 0;
}

/* Once per interval: is the swarm still there? Then ask again. */
static int tick(struct top_ctx *c)
{
	char req[16];
	struct bus_out o = { .data = req, .type = MSG_CONTROL };
	enum life l = swarm_life(c);

	/* The master sends its final snapshot and then removes the bus: read
	 * what is still in our inbox (mapped, so readable with the directory
	 * gone) before calling it the end, or the last picture is lost. */
	if (l != LIFE_RUNNING && drain(c))
		return DONE_RC;
	if (l == LIFE_ENDED)
		return stop(c, WHY_ENDED, EXIT_OK);
	if (l == LIFE_MASTER_GONE)
		return stop(c, WHY_GONE, EXIT_ENV);
	if (c->seq && c->shown_seq < c->seq && c->mode == MODE_TTY) {
		snprintf(c->note, sizeof(c->note), "master not answering (busy?)");
		draw(c);
	} else if (c->seq == c->shown_seq + NO_ANSWER_WARN) {
		/* Once: a pipe's reader should know why no line comes. */
		die_msg("top: the master has not answered %d requests (busy or stuck?)",
			NO_ANSWER_WARN);
	}
	o.len = (uint32_t)snprintf(req, sizeof(req), "top %u", ++c->seq);
	inbox_send(c->master, c->self, &o);   /* full or gone: next tick */
	return 0;
}

static int loop(struct top_ctx *c)
{
	uint64_t next = now_ns();

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = c->sigfd, .events = POLLIN },
			{ .fd = c->efd, .events = POLLIN },
			{ .fd = c->mode == MODE_TTY ? c->tty.in : -1, .events = POLLIN },
		};
		uint64_t now = now_ns();
		int ms;

		if (now >= next) {
			if (tick(c))
				return c->rc;
			next += c->interval_ns;
			if (next <= now)
				next = now + c->interval_ns;
		}
		ms = (int)((next - now + 999999) / 1000000);
		if (poll(p, 3, ms) < 0 && errno != EINTR) {
			stop(c, WHY_ERROR, EXIT_ENV);
			return c->rc;
		}
		if (((p[0].revents & POLLIN) && on_signal(c)) ||
		    ((p[1].revents & POLLIN) && drain(c)))
			return c->rc;
		if ((p[2].revents & POLLIN) && top_tty_quit_key(&c->tty)) {
			stop(c, WHY_QUIT, EXIT_OK);
			return c->rc;
		}
	}
}

/* The way out: the terminal first, then what the user should read. */
static void finish(struct top_ctx *c)
{
	if (c->mode == MODE_TTY) {
		top_tty_leave(&c->tty);
		/* The last picture stays readable as one line. */
		if (c->have_cur && (c->why == WHY_ENDED || c->why == WHY_COUNT))
			top_view_line(stdout, &c->cur, &c->rates, wall_ns());
		fflush(stdout);
	}
	if (c->why == WHY_GONE)
		die_msg("top: the master of %s is gone (killed?); 'swarm gc' cleans up", c->dir);
	else if (c->why == WHY_ENDED && c->mode != MODE_JSON)
		die_msg("top: the swarm has ended");
}

int cmd_top(int argc, char **argv)
{
	struct top_ctx c = { .efd = -1, .sigfd = -1 };
	int rc = parse_args(&c, argc, argv);

	if (rc >= 0)
		return rc;
	c.screen = malloc(TOP_SNAP_MAX);
	if (!c.screen) {
		die_msg("top: out of memory");
		return EXIT_ENV;
	}
	if ((rc = open_signals(&c)) >= 0 || (rc = open_channel(&c)) >= 0)
		goto out;
	if (c.mode == MODE_TTY && top_tty_enter(&c.tty, STDOUT_FILENO, STDIN_FILENO)) {
		top_tty_leave(&c.tty);
		c.mode = MODE_PLAIN;
	}
	draw(&c);
	rc = loop(&c);
	finish(&c);
out:
	top_tty_leave(&c.tty);
	if (c.master)
		inbox_close(c.master);
	if (c.self)
		inbox_close(c.self);   /* stops the notify thread, closes efd */
	if (c.sigfd >= 0)
		close(c.sigfd);
	bus_close(c.bus);
	free(c.screen);
	return rc;
}
