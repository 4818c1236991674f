/* Starting one coordinator process for a hybrid master, whatever its
 * transport: the same `swarm coordinator` options, cgroup, priority, log
 * file and tracer naming for the /dev/shm mesh (coord_hybrid.c) and for
 * NATS (coord_nats_master.c); only the transport's arguments differ. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "coord_master.h"
#include "coord_sys.h"
#include "run_timeline.h"
#include "spawn_process.h"

extern char **environ;

#define COORD_ARGV_MAX (32 + 1024)

int master_spawn_coord(struct master *m, const char *name,
		       const char *const *transport, int bus_env,
		       struct swarm_cgroup *cg, struct spawned *sp)
{
	char workers[16], maxp[16], hb[32], nice[16], *argv[COORD_ARGV_MAX];
	char file[NAME_MAX_LEN + 8];
	struct agent_env env = { 0 };
	struct spawn_req r = { .argv = argv, .envp = environ, .stdin_fd = -1,
			       .new_pgroup = 1, .die_with_parent = 1, .cgroup_fd = -1,
			       .user = m->o->user };
	size_t a = 0, i;
	int err, fd;

	if (m->have_cg) {
		if (cg->dirfd < 0 && cgroup_create_child(&m->cg, name, cg) == 0)
			r.cgroup_fd = cg->dirfd;
		else
			r.cgroup_fd = cg->dirfd >= 0 ? cg->dirfd : m->cg.dirfd;
	}
	snprintf(workers, sizeof(workers), "%u", m->o->workers);
	snprintf(maxp, sizeof(maxp), "%u", m->o->max_parallel);
	snprintf(hb, sizeof(hb), "%.3f", m->o->heartbeat_s);
	argv[a++] = m->exe;
	argv[a++] = "coordinator";
	for (i = 0; transport[i]; i++)
		argv[a++] = (char *)transport[i];
	argv[a++] = "--name";
	argv[a++] = (char *)name;
	argv[a++] = "--workers";
	argv[a++] = workers;
	argv[a++] = "--max-parallel";
	argv[a++] = maxp;
	argv[a++] = "--heartbeat";
	argv[a++] = hb;
	argv[a++] = "--logs";
	argv[a++] = m->logs_path;
	if (m->stdout_mode)
		argv[a++] = "--stdout-mode";
	if (m->o->task_stdin)
		argv[a++] = "--task-stdin";
	/* Coordinators keep the master's raised priority (they are ours and
	 * every answer passes through one); their workers do not. With --user
	 * they run as NAME, who must not get a negative nice that way. */
	if (m->boosted && m->o->user) {
		r.set_nice = 1;
		r.nice = m->nice0;
	} else if (m->boosted) {
		snprintf(nice, sizeof(nice), "%d", m->nice0);
		argv[a++] = "--agent-nice";
		argv[a++] = nice;
	}
	argv[a++] = "--";
	for (i = 0; m->argv[i] && a < COORD_ARGV_MAX - 1; i++)
		argv[a++] = m->argv[i];
	argv[a] = NULL;
	if (bus_env) {
		err = agent_env_init(&env, bus_path(m->bus), bus_id(m->bus));
		if (err)
			return err;
		agent_env_set(&env, name, "master", 0);
		r.envp = env.envp;
	}
	snprintf(file, sizeof(file), "%s.log", name);
	fd = openat(m->logs_fd, file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	r.stdout_fd = r.stderr_fd = fd;
	err = spawn_process(&r, sp);
	if (fd >= 0)
		close(fd);
	if (bus_env)
		agent_env_free(&env);
	if (err)
		return err;
	timeline_spawned(m->o->timeline, sp->pid, name, TL_COORD, now_ns());
	/* The kernel tracers follow the master's tree; this names the branch. */
	if (m->o->hooks && m->o->hooks->spawned)
		m->o->hooks->spawned(m->o->hooks->arg, sp->pid, name);
	return 0;
}
