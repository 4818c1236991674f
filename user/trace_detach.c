/* Detach every link of the tracer at once. Closing a perf-event tracepoint
 * link waits for an RCU grace period (perf_trace_event_unreg calls
 * tracepoint_synchronize_unregister): ~55 ms here, times ~45 links = 2.5 s
 * when done one after the other. Closed from concurrent threads the waits
 * share grace periods and the whole detach takes about one. */
#include <pthread.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "trace_int.h"
#include "fdleak.skel.h"
#include "flock.skel.h"
#include "latency.skel.h"
#include "spawn.skel.h"

#define MAX_LINKS 128

static void *destroy_link(void *arg)
{
	bpf_link__destroy(arg);
	return NULL;
}

/* Take the links out of a skeleton (so its destroy does not touch them). */
static size_t take_links(struct bpf_object_skeleton *s, struct bpf_link **out, size_t n)
{
	int i;

	if (!s)
		return n;
	for (i = 0; i < s->prog_cnt && n < MAX_LINKS; i++) {
		struct bpf_link **l = s->progs[i].link;

		if (l && *l) {
			out[n++] = *l;
			*l = NULL;
		}
	}
	return n;
}

void trace_detach_all(struct tracer *t)
{
	struct bpf_link *links[MAX_LINKS];
	pthread_t th[MAX_LINKS];
	bool started[MAX_LINKS];
	size_t n = 0, i;

	n = take_links(t->spawn ? t->spawn->skeleton : NULL, links, n);
	n = take_links(t->flock ? t->flock->skeleton : NULL, links, n);
	n = take_links(t->fd ? t->fd->skeleton : NULL, links, n);
	n = take_links(t->lat ? t->lat->skeleton : NULL, links, n);
	for (i = 0; i < n; i++)
		started[i] = !pthread_create(&th[i], NULL, destroy_link, links[i]);
	for (i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(links[i]); /* no thread: the slow way */
	}
}
