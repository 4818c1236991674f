/* A swarm agent in C on libswarm: take tasks from the inbox, answer the
 * parent with the task upper-cased, until the coordinator says stop.
 *
 *   cc -o agent agent.c $(pkg-config --cflags --libs libswarm)
 *   swarm run -n 4 --tasks tasks.txt -- ./agent
 *
 * `swarm run` gives every agent SWARM_DIR, SWARM_AGENT and SWARM_PARENT;
 * swarm_agent_open(NULL, NULL, ...) reads them. Exit codes are swarm(1)'s. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <swarm/swarm.h>

/* One answer: "<agent> <TASK>", cut to fit. */
static size_t answer(const struct swarm_agent *me, const struct swarm_msg *m,
		     char *out, size_t size)
{
	int n = snprintf(out, size, "%s ", swarm_agent_name(me));
	size_t len = (size_t)n, i;

	for (i = 0; i < m->len && len + 1 < size; i++)
		out[len++] = (char)toupper(((const unsigned char *)m->data)[i]);
	out[len] = '\0';
	return len;
}

int main(void)
{
	const char *parent = swarm_parent();
	struct swarm_agent *me = NULL;
	struct swarm_msg m;
	char out[4096];
	int err, code = SWARM_EXIT_OK;

	err = swarm_agent_open(NULL, NULL, &me);
	if (err || !parent) {
		fprintf(stderr, "agent: not under 'swarm run' (%s)\n",
			err ? swarm_strerror(err) : "no SWARM_PARENT");
		return SWARM_EXIT_ENV;
	}
	for (;;) {
		err = swarm_recv(me, &m, 30000);
		if (err <= 0) {   /* no task for 30 s, or a bus error */
			code = err ? swarm_exit_code(err) : SWARM_EXIT_TIMEOUT;
			break;
		}
		if (m.type == SWARM_MSG_STOP)
			break;
		if (m.type != SWARM_MSG_TASK && m.type != SWARM_MSG_DATA) {
			swarm_commit(me);   /* not for us: consume and go on */
			continue;
		}
		err = swarm_send(me, parent, SWARM_MSG_RESULT, out, answer(me, &m, out, sizeof(out)));
		/* Read only once answered: a crash before this gets the task again. */
		if (!err)
			err = swarm_commit(me);
		if (err) {
			fprintf(stderr, "agent: %s\n", swarm_strerror(err));
			code = swarm_exit_code(err);
			break;
		}
	}
	swarm_agent_close(me);
	return code;
}
