/* delayproxy: a TCP relay that adds a fixed one-way delay in each
 * direction, and can cut the path (partition) for a while.
 *
 * This host's kernel has no sch_netem, so `tc netem delay` is impossible;
 * the tests put one of these between each network-namespace "host" and
 * nats-server instead. Every chunk read from one side is stamped with its
 * arrival time and written to the other side DELAY later, in order; an
 * EOF is delayed the same way (shutdown(SHUT_WR) when due), so a FIN never
 * overtakes the data before it.
 *
 * Bounded: at most --buffer-kb bytes queued per direction of a connection
 * (reading from that side stops until the queue drains, so a fast sender
 * meets TCP backpressure, not our memory) and at most --max-conns
 * connections (later ones are refused by closing them).
 *
 * Partition: SIGUSR1 cuts the path for --partition-ms (SIGUSR2 heals at
 * once). While cut nothing is read, written or accepted: bytes wait in the
 * kernel's socket buffers and in our queues, exactly as TCP segments lost
 * to a dead link are retransmitted after it comes back; a peer that gives
 * up meanwhile (libnats' pings) closes, and that close is seen after the
 * heal. SIGTERM/SIGINT: close everything, print one JSON line of counters
 * on stdout, exit 0.
 *
 *   delayproxy --listen ADDR:PORT --connect ADDR:PORT [--delay-ms D]
 *              [--partition-ms N] [--buffer-kb K] [--max-conns N]
 *              [--port-file FILE]
 *
 * PORT 0 for --listen picks a free port; --port-file gets it (written
 * once listening, renamed into place so a reader never sees half). Exit
 * codes: 0 stopped by a signal, 2 usage, 3 environment (bind, epoll).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK   (16u << 10)
#define DELAY_MS_MAX 60000u
#define PART_MS_MAX  3600000u
#define BUF_KB_MAX   (64u << 10)
#define CONNS_MAX    4096u

struct chunk {
	struct chunk *next;
	uint64_t due_ns;
	uint32_t len, off;
	int eof;                     /* no data: shutdown(SHUT_WR) when due */
	char data[];
};

/* One direction of a connection: bytes read from `from`, queued, written
 * to `to` when due. */
struct dir {
	struct chunk *head, *tail;
	size_t queued;
	int eof_read;                /* EOF seen on the source, queued */
	int shut;                    /* EOF delivered to the destination */
	int wblocked;                /* destination full: wait for EPOLLOUT */
	uint64_t bytes;
};

struct conn;
struct end {                          /* epoll tag of one socket */
	struct conn *c;
	int fd;
	uint32_t events;              /* what epoll watches now */
};

struct conn {
	struct end cli, srv;
	int connecting;               /* upstream connect in progress */
	struct dir up, down;          /* up: client -> server */
	struct conn *next;
};

struct opts {
	struct sockaddr_in listen, connect;
	uint64_t delay_ns, part_ns;
	size_t buf_max;
	unsigned max_conns;
	const char *port_file;
};

struct proxy {
	struct opts o;
	int epfd, lfd, sfd, tfd;
	uint32_t lfd_events;
	struct conn *conns;
	unsigned nconns;
	uint64_t cut_until_ns;        /* 0: the path is up */
	/* counters for the closing line */
	uint64_t accepted, refused, failed_upstream, partitions, bytes_up, bytes_down;
	size_t queued_peak;
};

static int tag_listen, tag_signal, tag_timer;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cut(const struct proxy *p)
{
	return p->cut_until_ns != 0;
}

static void usage(FILE *f)
{
	fputs("USAGE: delayproxy --listen ADDR:PORT --connect ADDR:PORT [--delay-ms D]\n"
	      "                  [--partition-ms N] [--buffer-kb K] [--max-conns N]\n"
	      "                  [--port-file FILE]\n"
	      "A TCP relay adding D ms (0..60000) in each direction. SIGUSR1 cuts the\n"
	      "path for N ms (default 10000), SIGUSR2 heals it; SIGTERM stops and\n"
	      "prints the counters as JSON. Buffers: K KiB per direction of a\n"
	      "connection (default 256), at most N connections (default 256).\n"
	      "EXAMPLES\n"
	      "  delayproxy --listen 10.7.0.1:0 --connect 127.0.0.1:4222 --delay-ms 25 \\\n"
	      "             --port-file /tmp/p.port\n"
	      "EXIT: 0 stopped by a signal, 2 usage, 3 environment\n", f);
}

static int parse_num(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* "A.B.C.D:PORT", IPv4 only (the test network is v4). */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = s ? strrchr(s, ':') : NULL;
	unsigned port;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 ||
	    parse_num(colon + 1, 65535, &port))
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "delayproxy: bad %s '%s' (see --help)\n", what, val ? val : "");
	return 2;
}

/* 0, or an exit code (2 usage; 1 for --help's "stop, all is well"). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned v, have_l = 0, have_c = 0;
	int i;

	memset(o, 0, sizeof(*o));
	o->part_ns = 10000ull * 1000000ull;
	o->buf_max = 256u << 10;
	o->max_conns = 256;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		}
		if (!val)
			return bad("option (missing value)", a);
		i++;
		if (!strcmp(a, "--listen")) {
			if (parse_addr(val, &o->listen))
				return bad("--listen address", val);
			have_l = 1;
		} else if (!strcmp(a, "--connect")) {
			if (parse_addr(val, &o->connect) || !o->connect.sin_port)
				return bad("--connect address", val);
			have_c = 1;
		} else if (!strcmp(a, "--delay-ms")) {
			if (parse_num(val, DELAY_MS_MAX, &v))
				return bad("--delay-ms", val);
			o->delay_ns = (uint64_t)v * 1000000ull;
		} else if (!strcmp(a, "--partition-ms")) {
			if (parse_num(val, PART_MS_MAX, &v) || !v)
				return bad("--partition-ms", val);
			o->part_ns = (uint64_t)v * 1000000ull;
		} else if (!strcmp(a, "--buffer-kb")) {
			if (parse_num(val, BUF_KB_MAX, &v) || !v)
				return bad("--buffer-kb", val);
			o->buf_max = (size_t)v << 10;
		} else if (!strcmp(a, "--max-conns")) {
			if (parse_num(val, CONNS_MAX, &v) || !v)
				return bad("--max-conns", val);
			o->max_conns = v;
		} else if (!strcmp(a, "--port-file")) {
			o->port_file = val;
		} else {
			return bad("option", a);
		}
	}
	if (!have_l || !have_c) {
		fprintf(stderr, "delayproxy: --listen and --connect are required (see --help)\n");
		return 2;
	}
	return 0;
}

/* ---------------------------------------------------------------- epoll */

/* Register, change or drop fd's interest. An fd that wants nothing is
 * taken out of epoll: a reset socket reports EPOLLERR|EPOLLHUP whatever
 * it asked for, and while the path is cut that would spin. */
static int watch(struct proxy *p, int fd, void *tag, uint32_t *cur, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = tag };
	int op;

	if (*cur == want)
		return 0;
	op = !want ? EPOLL_CTL_DEL : !*cur ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(p->epfd, op, fd, &ev) < 0)
		return -errno;
	*cur = want;
	return 0;
}

/* Read from e while its direction has room and the path is up; write to
 * e while it is connecting or a due chunk could not be written. */
static int rearm(struct proxy *p, struct end *e)
{
	struct conn *c = e->c;
	int is_srv = e == &c->srv;
	struct dir *in = is_srv ? &c->down : &c->up;     /* read from e */
	struct dir *out = is_srv ? &c->up : &c->down;    /* written to e */
	uint32_t want = 0;

	if (!cut(p) && !in->eof_read && in->queued < p->o.buf_max &&
	    !(is_srv && c->connecting))
		want |= EPOLLIN;
	if ((is_srv && c->connecting) || (!cut(p) && out->wblocked))
		want |= EPOLLOUT;
	return watch(p, e->fd, e, &e->events, want);
}

/* --------------------------------------------------------- connections */

static void dir_free(struct dir *d)
{
	struct chunk *k;

	while ((k = d->head)) {
		d->head = k->next;
		free(k);
	}
	d->tail = NULL;
	d->queued = 0;
}

static void conn_close(struct proxy *p, struct conn *c)
{
	struct conn **pp;

	for (pp = &p->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	p->bytes_up += c->up.bytes;
	p->bytes_down += c->down.bytes;
	/* close() drops the fds from epoll as well */
	if (c->cli.fd >= 0)
		close(c->cli.fd);
	if (c->srv.fd >= 0)
		close(c->srv.fd);
	dir_free(&c->up);
	dir_free(&c->down);
	free(c);
	p->nconns--;
}

static int push(struct proxy *p, struct dir *d, const char *buf, size_t len, int eof)
{
	struct chunk *k = malloc(sizeof(*k) + len);
	size_t total;

	if (!k)
		return -ENOMEM;
	k->next = NULL;
	k->due_ns = now_ns() + p->o.delay_ns;
	k->len = (uint32_t)len;
	k->off = 0;
	k->eof = eof;
	if (len)
		memcpy(k->data, buf, len);
	if (d->tail)
		d->tail->next = k;
	else
		d->head = k;
	d->tail = k;
	d->queued += len;
	total = d->queued;
	if (total > p->queued_peak)
		p->queued_peak = total;
	return 0;
}

/* Read what e has, up to the room left in its direction: 0, or -errno
 * (the connection is then closed by the caller). */
static int on_readable(struct proxy *p, struct end *e)
{
	struct conn *c = e->c;
	struct dir *d = e == &c->srv ? &c->down : &c->up;
	char buf[READ_CHUNK];
	size_t room;
	ssize_t n;

	while (!cut(p) && !d->eof_read && d->queued < p->o.buf_max) {
		room = p->o.buf_max - d->queued;
		n = read(e->fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0) {
			d->eof_read = 1;
			return push(p, d, NULL, 0, 1);
		}
		if (push(p, d, buf, (size_t)n, 0))
			return -ENOMEM;
		d->bytes += (uint64_t)n;
	}
	return 0;
}

/* Write every due chunk of d to fd: 0, or -errno. */
static int flush_dir(struct proxy *p, struct dir *d, int fd, uint64_t now)
{
	struct chunk *k;
	ssize_t n;

	d->wblocked = 0;
	while (!cut(p) && (k = d->head) && k->due_ns <= now) {
		if (k->eof) {
			if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
				return -errno;
			d->shut = 1;
		} else {
			n = write(fd, k->data + k->off, k->len - k->off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				d->wblocked = 1;
				return 0;
			}
			if (n < 0)
				return -errno;
			k->off += (uint32_t)n;
			d->queued -= (size_t)n;
			if (k->off < k->len) {
				d->wblocked = 1;
				return 0;
			}
		}
		d->head = k->next;
		if (!d->head)
			d->tail = NULL;
		free(k);
	}
	return 0;
}

/* Flush both directions, re-arm both ends; closes c when both directions
 * have delivered their EOF or on any error. 1 if c was closed. */
static int conn_step(struct proxy *p, struct conn *c, uint64_t now)
{
	int err = 0;

	if (!c->connecting) {
		err = flush_dir(p, &c->up, c->srv.fd, now);
		if (!err)
			err = flush_dir(p, &c->down, c->cli.fd, now);
	}
	if (!err && c->up.shut && c->down.shut)
		err = -ECONNRESET;   /* both halves closed: done */
	if (!err)
		err = rearm(p, &c->cli);
	if (!err)
		err = rearm(p, &c->srv);
	if (err) {
		conn_close(p, c);
		return 1;
	}
	return 0;
}

static void on_accept(struct proxy *p)
{
	struct conn *c;
	int fd, one = 1;

	while (!cut(p)) {
		fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;   /* EAGAIN, or a client that left the backlog */
		if (p->nconns >= p->o.max_conns || !(c = calloc(1, sizeof(*c)))) {
			p->refused++;
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->cli = (struct end){ .c = c, .fd = fd, .events = 0 };
		c->srv = (struct end){ .c = c, .fd = -1, .events = 0 };
		c->next = p->conns;
		p->conns = c;
		p->nconns++;
		p->accepted++;
		c->srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->srv.fd < 0) {
			conn_close(p, c);
			continue;
		}
		setsockopt(c->srv.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->connecting = 1;
		if (connect(c->srv.fd, (struct sockaddr *)&p->o.connect, sizeof(p->o.connect)) == 0)
			c->connecting = 0;
		else if (errno != EINPROGRESS) {
			p->failed_upstream++;
			conn_close(p, c);
			continue;
		}
		conn_step(p, c, now_ns());
	}
}

static void on_conn_event(struct proxy *p, struct end *e, uint32_t events)
{
	struct conn *c = e->c;
	int err = 0;
	socklen_t len = sizeof(err);

	if ((events & EPOLLERR) && !(e == &c->srv && c->connecting)) {
		conn_close(p, c);   /* reset: what was in flight is gone */
		return;
	}
	if (e == &c->srv && c->connecting) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			/* upstream down (nats-server restarting): the client
			 * sees the close and reconnects, as with the real one */
			p->failed_upstream++;
			conn_close(p, c);
			return;
		}
		c->connecting = 0;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (err = on_readable(p, e))) {
		conn_close(p, c);
		return;
	}
	conn_step(p, c, now_ns());
}

/* ------------------------------------------------------ cut and timers */

static void set_cut(struct proxy *p, uint64_t until)
{
	struct conn *c, *next;

	if (until && !p->cut_until_ns)
		p->partitions++;
	p->cut_until_ns = until;
	/* Cut: every socket leaves epoll. Healed: what waited is due now
	 * (or at its own time), and the backlog is accepted. */
	for (c = p->conns; c; c = next) {
		next = c->next;
		conn_step(p, c, now_ns());
	}
	watch(p, p->lfd, &tag_listen, &p->lfd_events, until ? 0 : EPOLLIN);
	if (!until)
		on_accept(p);
}

/* Arm the timer for the earliest due chunk (or the heal). */
static void arm_timer(struct proxy *p)
{
	struct itimerspec its = { 0 };
	uint64_t next = UINT64_MAX;
	struct conn *c;

	if (cut(p)) {
		next = p->cut_until_ns;
	} else {
		for (c = p->conns; c; c = c->next) {
			if (c->connecting)
				continue;
			if (c->up.head && !c->up.wblocked && c->up.head->due_ns < next)
				next = c->up.head->due_ns;
			if (c->down.head && !c->down.wblocked && c->down.head->due_ns < next)
				next = c->down.head->due_ns;
		}
	}
	if (next != UINT64_MAX) {
		if (next == 0)
			next = 1;     /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
	}
	timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_timer(struct proxy *p)
{
	struct conn *c, *next;
	uint64_t junk, now = now_ns();

	if (read(p->tfd, &junk, sizeof(junk)) < 0) {
		/* EAGAIN: a re-arm raced the expiry; nothing to read */
	}
	if (cut(p)) {
		if (now >= p->cut_until_ns)
			set_cut(p, 0);
		return;
	}
	for (c = p->conns; c; c = next) {
		next = c->next;
		conn_step(p, c, now);
	}
}

/* 1 when asked to stop. */
static int on_signal(struct proxy *p)
{
	struct signalfd_siginfo si;

	while (read(p->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			set_cut(p, now_ns() + p->o.part_ns);
		else if (si.ssi_signo == SIGUSR2)
			set_cut(p, 0);
		else
			return 1;
	}
	return 0;
}

/* -------------------------------------------------------------- setup */

static int write_port_file(const char *path, unsigned port)
{
	char tmp[PATH_MAX];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return -errno;
	return 0;
}

static int setup(struct proxy *p, const char **what)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	sigset_t mask;
	int one = 1, err;

	*what = "creating the event loop";
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	p->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->epfd < 0 || p->tfd < 0 || p->sfd < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);     /* a peer gone mid-write is an EPIPE */
	*what = "listening";
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->lfd < 0)
		return -errno;
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(p->lfd, (struct sockaddr *)&p->o.listen, sizeof(p->o.listen)) < 0 ||
	    listen(p->lfd, 128) < 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	{
		uint32_t ev = 0;
		if ((err = watch(p, p->lfd, &tag_listen, &p->lfd_events, EPOLLIN)) ||
		    (err = watch(p, p->sfd, &tag_signal, &ev, EPOLLIN)))
			return err;
		ev = 0;
		if ((err = watch(p, p->tfd, &tag_timer, &ev, EPOLLIN)))
			return err;
	}
	*what = "writing the port file";
	if (p->o.port_file && (err = write_port_file(p->o.port_file, ntohs(sa.sin_port))))
		return err;
	return 0;
}

static void loop(struct proxy *p)
{
	struct epoll_event evs[64];
	int i, n;

	for (;;) {
		arm_timer(p);
		n = epoll_wait(p->epfd, evs, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		for (i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &tag_signal) {
				if (on_signal(p))
					return;
			} else if (tag == &tag_timer) {
				on_timer(p);
			} else if (tag == &tag_listen) {
				on_accept(p);
			} else {
				/* A connection closed earlier in this batch may
				 * still have an event here: check it is live. */
				struct conn *c;
				struct end *e = tag;

				for (c = p->conns; c && c != e->c; c = c->next)
					;
				if (c)
					on_conn_event(p, e, evs[i].events);
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct proxy p;
	const char *what = "";
	int rc, err;

	memset(&p, 0, sizeof(p));
	p.epfd = p.lfd = p.sfd = p.tfd = -1;
	rc = parse_args(argc, argv, &p.o);
	if (rc)
		return rc == 1 ? 0 : rc;
	err = setup(&p, &what);
	if (err) {
		fprintf(stderr, "delayproxy: %s failed: %s\n", what, strerror(-err));
		rc = 3;
		goto out;
	}
	loop(&p);
	while (p.conns)
		conn_close(&p, p.conns);   /* adds their bytes to the counters */
	printf("{\"delayproxy\":{\"delay_ms\":%llu,\"accepted\":%llu,\"refused\":%llu,"
	       "\"failed_upstream\":%llu,\"partitions\":%llu,\"bytes_up\":%llu,"
	       "\"bytes_down\":%llu,\"queued_peak\":%zu}}\n",
	       (unsigned long long)(p.o.delay_ns / 1000000ull),
	       (unsigned long long)p.accepted, (unsigned long long)p.refused,
	       (unsigned long long)p.failed_upstream, (unsigned long long)p.partitions,
	       (unsigned long long)(p.bytes_up), (unsigned long long)(p.bytes_down),
	       p.queued_peak);
out:
	while (p.conns)
		conn_close(&p, p.conns);
	if (p.lfd >= 0)
		close(p.lfd);
	if (p.sfd >= 0)
		close(p.sfd);
	if (p.tfd >= 0)
		close(p.tfd);
	if (p.epfd >= 0)
		close(p.epfd);
	return rc;
}
