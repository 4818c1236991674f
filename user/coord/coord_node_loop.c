/* The coordinator node's loop and worker pool, shared by both transports
 * (coord_node_loop.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "coord_node_loop.h"
#include "coord_sys.h"
#include "swarm.h"

int node_loop_add(struct node_loop *l, int fd, int *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int node_loop_open(struct node_loop *l, int notify_fd)
{
	int err;

	l->sigfd = coord_signalfd();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->sigfd < 0 || l->epfd < 0)
		return -errno;
	/* Tags only need distinct addresses, and not POOL_EV_CHILD. */
	l->ev_inbox = 1;
	l->ev_signal = 2;
	if ((err = node_loop_add(l, notify_fd, &l->ev_inbox)) ||
	    (err = node_loop_add(l, l->sigfd, &l->ev_signal)))
		return err;
	return 0;
}

void node_pool_cfg(struct pool_cfg *c, const struct node_workers *w,
		   struct bus *bus, struct inbox *self, const char *name,
		   char *prefix, size_t prefix_len, int logs_fd)
{
	snprintf(prefix, prefix_len, "%s-w", name);
	*c = (struct pool_cfg){
		.bus = bus, .self = self, .self_name = name,
		.prefix = prefix, .nslots = w->workers,
		.max_parallel = w->max_parallel,
		.set_nice = w->set_nice, .nice = w->nice,
		.heartbeat_ns = (uint64_t)(w->heartbeat_s * 1e9),
		.stdout_mode = w->stdout_mode, .task_stdin = w->task_stdin,
		.argv = w->argv, .logs_fd = logs_fd, .cgroup_fd = -1,
		.applet = w->applet, .applet_argv = w->argv + 1,
		.new_pgroup = 0, .swarm_id = bus_id(bus),
		.journal_fd = -1, .lat = NULL,
	};
	while (w->argv[c->applet_argc + 1])
		c->applet_argc++;
}

int node_loop_pool(struct node_loop *l, const struct pool_cfg *c)
{
	return pool_new(c, l->epfd, &l->pool);
}

void node_loop_run(struct node_loop *l, const struct node_transport *t)
{
	struct epoll_event evs[128];
	struct signalfd_siginfo si;
	int i, k, tick = -1, more;

	t->poll(t->arg);
	more = pool_fill(l->pool);
	while (!l->stop_sig && !(t->ended(t->arg) && !pool_pending(l->pool))) {
		k = epoll_wait(l->epfd, evs, 128,
			       more ? 0 : tick < 0 || tick > 100 ? 100 : tick);
		if (k < 0 && errno != EINTR)
			break;
		/* The inbox first: an agent that answered and exited is
		 * credited, not failed. */
		t->poll(t->arg);
		for (i = 0; i < k; i++) {
			int *kind = evs[i].data.ptr;

			if (*kind == POOL_EV_CHILD)
				pool_on_children(l->pool);
			else if (kind == &l->ev_signal) {
				if (read(l->sigfd, &si, sizeof(si)) == sizeof(si))
					l->stop_sig = (int)si.ssi_signo;
			} else if (kind != &l->ev_inbox && t->on_event)
				t->on_event(t->arg, kind);
		}
		if (t->after && t->after(t->arg)) {
			more = 0;
			tick = -1;
			continue;
		}
		more = pool_fill(l->pool);
		tick = pool_tick(l->pool, now_ns());
	}
}

void node_loop_close(struct node_loop *l)
{
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->sigfd = l->epfd = -1;
}
