/* Workloads for the swarm-trace end-to-end tests. Each forks its process
 * tree first, then waits for SIGUSR1 before doing anything, so a tracer can
 * attach to an already-running tree.
 *
 *   trace_workload flock FILE NPROC HOLD_MS ROUNDS
 *       NPROC children take LOCK_EX on FILE ROUNDS times, holding HOLD_MS
 *   trace_workload leak FILE COUNT PERIOD_MS
 *       one child opens FILE COUNT times (never closing), then sleeps
 *   trace_workload leakmix FILE COUNT PERIOD_MS
 *       one child makes COUNT fds each way: open(FILE), dup, pipe,
 *       socketpair, eventfd and SCM_RIGHTS receipt (from a helper it
 *       forks), prints "leaked PID" and sleeps holding all 6 x COUNT
 *   trace_workload latency DIR/NAME DELAY_MS ROUNDS
 *       on a bus made under DIR, a writer child sends a message to inbox
 *       NAME, a reader child consumes it DELAY_MS later
 *
 * Exit status 0 when the workload ran as asked. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "swarm.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static sigset_t usr1;

/* Block until the test says go (SIGUSR1 to the process group or to us). */
static void wait_go(void)
{
	int sig;

	sigwait(&usr1, &sig);
}

static int flock_child(const char *file, long hold, long rounds)
{
	int fd = open(file, O_RDWR | O_CREAT, 0600);
	long i;

	if (fd < 0)
		return 1;
	for (i = 0; i < rounds; i++) {
		if (flock(fd, LOCK_EX))
			return 1;
		sleep_ms(hold);
		flock(fd, LOCK_UN);
		sleep_ms(1);
	}
	return 0;
}

static int leak_child(const char *file, long count, long period)
{
	long i;

	for (i = 0; i < count; i++) {
		if (open(file, O_RDONLY | O_CREAT, 0600) < 0)
			return 1;
		sleep_ms(period);
	}
	pause(); /* hold them until killed */
	return 0;
}

/* The helper of leakmix: opens FILE count times and passes the fds over
 * sock, a few per message; the receiver never opened them. */
static int pass_fds(int sock, const char *file, long count)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	int fds[8], k, j;
	long i;

	for (i = 0; i < count; i += k) {
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf };
		struct cmsghdr *c;

		k = count - i < 8 ? (int)(count - i) : 8;
		for (j = 0; j < k; j++)
			if ((fds[j] = open(file, O_RDONLY)) < 0)
				return 1;
		m.msg_controllen = CMSG_SPACE(k * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(k * sizeof(int));
		memcpy(CMSG_DATA(c), fds, k * sizeof(int));
		if (sendmsg(sock, &m, 0) != 1)
			return 1;
		for (j = 0; j < k; j++)
			close(fds[j]);
	}
	return 0;
}

static int recv_fds(int sock, long count)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	long got = 0;

	while (got < count) {
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;

		if (recvmsg(sock, &m, 0) != 1 || !(c = CMSG_FIRSTHDR(&m)) ||
		    c->cmsg_type != SCM_RIGHTS)
			return 1;
		got += (long)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	}
	return got == count ? 0 : 1;
}

static int leakmix_child(const char *file, long count, long period)
{
	int p[2], sv[2], st;
	pid_t helper;
	long i;

	for (i = 0; i < count; i++) {
		int fd = open(file, O_RDONLY | O_CREAT, 0600);

		if (fd < 0 || dup(fd) < 0 || eventfd(0, 0) < 0)
			return 1;
		if (i % 2 == 0 && (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)))
			return 1;
		sleep_ms(period);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	helper = fork();
	if (helper == 0)
		_exit(pass_fds(sv[0], file, count));
	close(sv[0]);
	if (recv_fds(sv[1], count) || waitpid(helper, &st, 0) != helper || st)
		return 1;
	close(sv[1]);
	printf("leaked %d\n", (int)getpid());
	fflush(stdout);
	pause(); /* hold them until killed */
	return 0;
}

/* A bus under DIR (made here): a writer child sends one message to the
 * inbox NAME, a reader child consumes it DELAY_MS later, ROUNDS times. */
static int latency_pair(const char *where, long delay, long rounds)
{
	char dir[256], name[64];
	const char *slash = strrchr(where, '/');
	struct bus *bus = NULL;
	int p[2], q[2], st, ok = 0;
	char c = 'x';
	pid_t w, r;
	long i;

	if (!slash || slash == where || strlen(slash + 1) >= sizeof(name) ||
	    (size_t)(slash - where) >= sizeof(dir))
		return 1;
	memcpy(dir, where, (size_t)(slash - where));
	dir[slash - where] = '\0';
	snprintf(name, sizeof(name), "%s", slash + 1);
	if (pipe(p) || pipe(q) || bus_create(dir, "latency", NULL, &bus))
		return 1;
	w = fork();
	if (w == 0) {
		struct inbox *to = NULL, *me = NULL;
		struct bus_out m = { .data = "message", .len = 7, .type = MSG_DATA };

		if (inbox_open(bus, name, &to) || inbox_open(bus, "writer", &me))
			_exit(1);
		for (i = 0; i < rounds; i++) {
			if (inbox_send(to, me, &m) || write(p[1], &c, 1) != 1)
				_exit(1);
			if (read(q[0], &c, 1) != 1) /* wait until it was read */
				_exit(1);
		}
		_exit(0);
	}
	r = fork();
	if (r == 0) {
		struct inbox *in = NULL;
		struct bus_msg msg;

		if (inbox_open(bus, name, &in) || inbox_reader_begin(in))
			_exit(1);
		for (i = 0; i < rounds; i++) {
			if (read(p[0], &c, 1) != 1)
				_exit(1);
			sleep_ms(delay);
			if (inbox_next(in, &msg) != 1 || inbox_commit(in) || write(q[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	if (waitpid(w, &st, 0) == w && WIFEXITED(st) && !WEXITSTATUS(st))
		ok++;
	if (waitpid(r, &st, 0) == r && WIFEXITED(st) && !WEXITSTATUS(st))
		ok++;
	bus_destroy(bus);
	return ok == 2 ? 0 : 1;
}

int main(int argc, char **argv)
{
	long a, b, c, i, n;
	int st, fails = 0;
	pid_t *kids;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: see the comment at the top of trace_workload.c\n");
		return 2;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL); /* inherited: children wait too */
	a = atol(argv[3]);
	b = atol(argv[4]);
	c = argc == 6 ? atol(argv[5]) : 0;
	n = !strcmp(argv[1], "flock") ? a : 1;
	kids = calloc((size_t)n, sizeof(*kids));
	if (!kids || n <= 0)
		return 2;
	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			wait_go();
			if (!strcmp(argv[1], "flock"))
				_exit(flock_child(argv[2], b, c));
			if (!strcmp(argv[1], "leak"))
				_exit(leak_child(argv[2], a, b));
			if (!strcmp(argv[1], "leakmix"))
				_exit(leakmix_child(argv[2], a, b));
			if (!strcmp(argv[1], "latency"))
				_exit(latency_pair(argv[2], a, b));
			_exit(2);
		}
	}
	printf("%d\n", (int)getpid());
	fflush(stdout);
	wait_go();
	for (i = 0; i < n; i++)
		kill(kids[i], SIGUSR1);
	for (i = 0; i < n; i++)
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			fails++;
	free(kids);
	return fails ? 1 : 0;
}
