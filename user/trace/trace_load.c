/* The process that loads the tracer's BPF object and holds its links.
 *
 * Loading parses the kernel BTF (~6 MB here) and leaves a libbpf object
 * with a fd for every program, map and link. Done in a helper process,
 * none of that lands in the tracer's caller (a master of 300 agents stays
 * a few MB): the helper sends back only the maps the tracer reads and the
 * programs it attaches itself (struct tracer_fds), then keeps the links.
 * Holding them there also puts their release off the caller's path: a
 * uprobe link waits for an RCU grace period when it goes, and the holder
 * pays it after the caller closed its end. If the caller dies, the holder
 * reads EOF, exits, and the kernel takes the programs off.
 *
 * The holder (`swarm-bpf` in ps) is forked twice (never the caller's
 * child: a master reaping its agents must not meet it), before any
 * program is attached, so it is never part of the traced tree; once it
 * holds the links it drops every capability. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "priv.h"
#include "trace_int.h"
#include "util.h"
#include "swarm.skel.h"

#define NFDS (sizeof(struct tracer_fds) / sizeof(int))
#define RELEASE_WAIT_MS 5000

struct iter_reply {
	int err;
};

struct load_reply {
	int err;
	unsigned on;
	unsigned posix_locks;
	unsigned have;          /* bit i: fd i of struct tracer_fds was sent */
	pid_t holder;
	char why[256];
};

/* Programs of each optional signal; spawn's three are the tree itself.
 * The fd signal's iterators are not among them: they are the only
 * programs that need the kernel's own BTF (iterators attach by BTF id;
 * the raw tracepoints by name, CO-RE uses the cut BTF), whose parse costs
 * ~10 ms here besides their own verification. The caller needs them for
 * its first recount, not to start, so the holder loads them after its
 * first reply, into a second object sharing every map (load_iters). */
static void set_autoload(struct swarm_bpf *s, unsigned sig)
{
	bpf_program__set_autoload(s->progs.fd_refresh, false);
	bpf_program__set_autoload(s->progs.fd_snapshot, false);
	bpf_program__set_autoload(s->progs.flock_attempt, sig & TRACE_FLOCK);
	bpf_program__set_autoload(s->progs.posix_attempt, sig & TRACE_FLOCK);
	bpf_program__set_autoload(s->progs.bus_probe, sig & TRACE_LATENCY);
	/* the probe program is attached to the binaries with probes, by a
	 * uprobe_multi link (trace_usdt.c) */
	bpf_program__set_autoattach(s->progs.bus_probe, false);
	bpf_program__set_expected_attach_type(s->progs.bus_probe,
					      (enum bpf_attach_type)TRACE_UPROBE_MULTI);
}

/* The iterators alone, on the maps of `first` (already loaded). */
static int share_maps(struct swarm_bpf *s, const struct swarm_bpf *first)
{
	struct bpf_program *p;
	struct bpf_map *m, *m1;

	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, p == s->progs.fd_refresh || p == s->progs.fd_snapshot);
	bpf_object__for_each_map(m, s->obj) {
		m1 = bpf_object__find_map_by_name(first->obj, bpf_map__name(m));
		if (!m1 || bpf_map__reuse_fd(m, bpf_map__fd(m1)))
			return m1 ? -errno : -ENOENT;
	}
	return 0;
}

/* Open and load the object: the signals in sig, or (first non-NULL) the
 * iterators on first's maps. */
static int open_load(struct tracer *t, struct swarm_bpf **out, unsigned sig,
		     const struct swarm_bpf *first)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	int btf = trace_btf_open(), err;
	struct swarm_bpf *s;
	char path[32];

	for (;;) {
		if (btf >= 0) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", btf);
			oo.btf_custom_path = path;
		}
		s = swarm_bpf__open_opts(&oo);
		if (!s) {
			err = -errno;
			break;
		}
		s->rodata->agent_depth = t->agent_depth;
		s->rodata->lock_event_min_ns = t->opts.lock_event_min_ns;
		if (first)
			err = share_maps(s, first);
		else
			set_autoload(s, sig), err = 0;
		if (!err)
			err = swarm_bpf__load(s);
		if (!err)
			break;
		swarm_bpf__destroy(s);
		s = NULL;
		if (btf < 0)
			break;
		/* the cut BTF did not do: once more against the whole one */
		close(btf);
		btf = -1;
		oo.btf_custom_path = NULL;
	}
	if (btf >= 0)
		close(btf);
	*out = s;
	return err;
}

/* The signal a program belongs to, by its name (set_autoload above). */
static unsigned prog_signal(const char *name)
{
	if (!strncmp(name, "spawn_", 6))
		return TRACE_SPAWN;
	if (!strncmp(name, "fd_", 3))
		return TRACE_FD;
	if (!strcmp(name, "flock_attempt") || !strcmp(name, "posix_attempt"))
		return TRACE_FLOCK;
	if (!strcmp(name, "bus_probe"))
		return TRACE_LATENCY;
	return 0;
}

int tracer_hooks(void (*fn)(unsigned sig, const char *section, void *arg), void *arg)
{
	struct swarm_bpf *s = swarm_bpf__open();
	struct bpf_program *p;

	if (!s)
		return -errno;
	bpf_object__for_each_program(p, s->obj)
		fn(prog_signal(bpf_program__name(p)), bpf_program__section_name(p), arg);
	swarm_bpf__destroy(s);
	return 0;
}

/* Load every wanted signal at once; if the kernel refuses (a hook it lacks,
 * a verifier it is older than), fall back to spawn alone and say so. */
static int load(struct tracer *t, struct swarm_bpf **s, struct load_reply *r)
{
	unsigned opt = t->want & (TRACE_FLOCK | TRACE_FD | TRACE_LATENCY);
	int err = open_load(t, s, opt, NULL);

	if (!err) {
		r->on = t->want;
		return 0;
	}
	if (opt && !open_load(t, s, 0, NULL)) {
		for (unsigned sig = TRACE_FLOCK; sig <= TRACE_LATENCY; sig <<= 1)
			if (opt & sig)
				trace_note_off(r->why, sizeof(r->why), sig, strerror(-err));
		r->on = TRACE_SPAWN & t->want;
		return 0;
	}
	snprintf(r->why, sizeof(r->why), "kernel tracing off: loading the BPF programs failed: %s",
		 strerror(-err));
	return err;
}

static int prog_fd(struct bpf_program *p)
{
	return bpf_program__autoload(p) ? bpf_program__fd(p) : -1;
}

static void collect(struct swarm_bpf *s, struct tracer_fds *f)
{
	f->events = bpf_map__fd(s->maps.events);
	f->procs = bpf_map__fd(s->maps.procs);
	f->tracked = bpf_map__fd(s->maps.tracked);
	f->leaks = bpf_map__fd(s->maps.leaks);
	f->locks = bpf_map__fd(s->maps.locks);
	f->inodes = bpf_map__fd(s->maps.inodes);
	f->bss = bpf_map__fd(s->maps.bss);
	f->fd_refresh = f->fd_snapshot = -1; /* later: load_iters */
	f->bus_probe = prog_fd(s->progs.bus_probe);
}

static int send_fds(int sock, const void *data, size_t len, const int *fds, unsigned n)
{
	char ctl[CMSG_SPACE(sizeof(int) * NFDS)];
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n > NFDS)
		return -EINVAL;
	if (n) {
		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/* One message and the fds that came with it (*n of them, at most max). */
static ssize_t recv_fds(int sock, void *data, size_t len, int *fds, unsigned max, unsigned *n)
{
	char ctl[CMSG_SPACE(sizeof(int) * NFDS)];
	struct iovec iov = { data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t got;

	*n = 0;
	do
		got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		unsigned k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n < max)
				fds[(*n)++] = fd;
			else
				close(fd); /* more than agreed: not ours to keep */
		}
	}
	return got;
}

/* The holder keeps nothing of its parent but the socket: an inherited
 * pipe (the caller's stdout into `| cat`) must not stay open in a process
 * the caller does not wait for. stderr stays for SWARM_TRACE_DEBUG. */
static void keep_only(int sock)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	bool debug = getenv("SWARM_TRACE_DEBUG") != NULL;

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!debug)
			dup2(null, 2);
	}
	if (sock > 3)
		syscall(SYS_close_range, 3u, (unsigned)sock - 1, 0u);
	syscall(SYS_close_range, (unsigned)sock + 1, ~0u, 0u);
}

/* The second reply: the fd iterators' programs (or why not). The caller
 * holds them; ours go with the second object. */
static void load_iters(struct tracer *t, const struct swarm_bpf *first, int sock)
{
	struct iter_reply r = { 0 };
	struct swarm_bpf *it = NULL;
	int fds[2];

	r.err = open_load(t, &it, 0, first);
	if (!r.err) {
		fds[0] = bpf_program__fd(it->progs.fd_refresh);
		fds[1] = bpf_program__fd(it->progs.fd_snapshot);
	}
	send_fds(sock, &r, sizeof(r), fds, r.err ? 0 : 2);
	swarm_bpf__destroy(it);
}

static void holder_main(struct tracer *t, int sock)
{
	struct load_reply r = { .holder = getpid() };
	struct tracer_fds f;
	struct swarm_bpf *s = NULL;
	int fds[NFDS], *all = (int *)&f, held[TRACE_USDT_MAX];
	unsigned n = 0, k;
	char c;

	keep_only(sock);
	prctl(PR_SET_NAME, "swarm-bpf"); /* what ps shows for it */
	signal(SIGINT, SIG_IGN); /* a ^C to the caller's group is for it */
	signal(SIGTERM, SIG_DFL);
	r.err = load(t, &s, &r);
	if (!r.err) {
		t->fd.tracked = bpf_map__fd(s->maps.tracked);
		t->fd.procs = bpf_map__fd(s->maps.procs);
		r.err = trace_spawn_seed(t, t->root, 0);
		if (r.err)
			snprintf(r.why, sizeof(r.why), "kernel tracing off: pid %d: %s",
				 (int)t->root, strerror(-r.err));
	}
	if (!r.err) {
		r.err = swarm_bpf__attach(s);
		if (r.err)
			snprintf(r.why, sizeof(r.why), "kernel tracing off: attaching failed: %s",
				 strerror(-r.err));
	}
	if (!r.err) {
		r.posix_locks = s->links.posix_attempt != NULL;
		collect(s, &f);
		for (unsigned i = 0; i < NFDS; i++)
			if (all[i] >= 0) {
				r.have |= 1u << i;
				fds[n++] = all[i];
			}
	}
	if (send_fds(sock, &r, sizeof(r), fds, n) || r.err)
		_exit(0);
	if (r.on & TRACE_FD)
		load_iters(t, s, sock);
	/* holding fds needs no privilege: keep none */
	priv_keep_only(NULL, 0);
	/* hold: every link stays until the caller is gone; links it made
	 * later (uprobe_multi) come over the socket to be held too */
	while (recv_fds(sock, &c, 1, held, TRACE_USDT_MAX, &k) > 0)
		;
	_exit(0); /* the kernel releases the links with our fds */
}

/* Receive the loader's reply; fill t->fd, t->on and map the counters. */
static int take_reply(struct tracer *t, char *why, size_t whylen)
{
	struct load_reply r;
	int fds[NFDS], *all = (int *)&t->fd, err = 0;
	unsigned n, j = 0;
	ssize_t got = recv_fds(t->holder, &r, sizeof(r), fds, NFDS, &n);

	if (got != (ssize_t)sizeof(r)) {
		snprintf(why, whylen, "kernel tracing off: the BPF loader died");
		err = got < 0 ? (int)got : -EPIPE;
		goto drop;
	}
	r.why[sizeof(r.why) - 1] = '\0';
	snprintf(why, whylen, "%s", r.why);
	if (r.err) {
		err = r.err < 0 ? r.err : -EINVAL;
		goto drop;
	}
	for (unsigned i = 0; i < NFDS; i++)
		if (r.have & (1u << i)) {
			if (j >= n) {
				err = -EPROTO;
				goto drop;
			}
			all[i] = fds[j++];
		}
	t->on = r.on;
	t->posix_locks = r.posix_locks;
	t->iters_pending = (r.on & TRACE_FD) != 0; /* the second reply */
	/* to wait for the programs to be off at close, unless nobody does */
	t->holder_pidfd = t->opts.detach_background ? -1
			  : (int)syscall(SYS_pidfd_open, r.holder, 0);
	t->bss_len = (sizeof(*t->bss) + 4095) & ~(size_t)4095;
	t->bss = t->fd.bss < 0 ? MAP_FAILED
		 : mmap(NULL, t->bss_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd.bss, 0);
	if (t->bss == MAP_FAILED) {
		err = t->fd.bss < 0 ? -ENOENT : -errno;
		t->bss = NULL;
		snprintf(why, whylen, "kernel tracing off: mapping the counters: %s",
			 strerror(-err));
		return err;
	}
	return 0;
drop:
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	return err;
}

int trace_load(struct tracer *t, char *why, size_t whylen)
{
	int sv[2], st, err;
	pid_t mid;

	t->agent_depth = t->opts.agent_depth < 0 ? 0
			 : t->opts.agent_depth ? (unsigned)t->opts.agent_depth : 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	mid = fork();
	if (mid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (mid == 0) {
		close(sv[0]);
		if (fork() == 0)
			holder_main(t, sv[1]);
		_exit(0);
	}
	close(sv[1]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	t->holder = sv[0];
	err = take_reply(t, why, whylen);
	if (err) {
		close(t->holder);
		t->holder = -1;
	}
	return err;
}

int trace_iters_take(struct tracer *t, int wait_ms)
{
	struct pollfd p = { t->holder, POLLIN, 0 };
	struct iter_reply r;
	int fds[2];
	unsigned n;
	ssize_t got;

	if (!t->iters_pending)
		return t->fd.fd_snapshot >= 0 ? 0 : -ENOTSUP;
	if (t->holder < 0 || RETRY_EINTR(poll(&p, 1, wait_ms)) != 1)
		return -EAGAIN;
	t->iters_pending = false;
	got = recv_fds(t->holder, &r, sizeof(r), fds, 2, &n);
	if (got != (ssize_t)sizeof(r) || r.err || n != 2) {
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		if (getenv("SWARM_TRACE_DEBUG"))
			fprintf(stderr, "swarm: fd iterators not loaded: %s\n",
				strerror(got != (ssize_t)sizeof(r) ? EPIPE : r.err ? -r.err : EPROTO));
		return -ENOTSUP;
	}
	t->fd.fd_refresh = fds[0];
	t->fd.fd_snapshot = fds[1];
	return 0;
}

void trace_hold(struct tracer *t, int link_fd)
{
	char c = 'L';

	if (t->holder >= 0 && !send_fds(t->holder, &c, 1, &link_fd, 1)) {
		close(link_fd);
		return;
	}
	if (t->nusdt < TRACE_USDT_MAX)
		t->usdt[t->nusdt++] = link_fd; /* we hold it, and pay its release */
	else
		close(link_fd);
}

void trace_release(struct tracer *t, bool background)
{
	struct pollfd p;

	if (t->holder >= 0)
		close(t->holder); /* EOF: the holder exits, the links go */
	t->holder = -1;
	if (t->holder_pidfd < 0)
		return;
	if (!background) {
		/* its exit is after its fds (the links) are released */
		p = (struct pollfd){ t->holder_pidfd, POLLIN, 0 };
		while (poll(&p, 1, RELEASE_WAIT_MS) < 0 && errno == EINTR)
			;
	}
	close(t->holder_pidfd);
	t->holder_pidfd = -1;
}
