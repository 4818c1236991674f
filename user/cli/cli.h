/* CLI sub-commands of the swarm binary: one cmd_*.c file each. */
#ifndef SWARM_CLI_H
#define SWARM_CLI_H

#include <stdio.h>

/* Each returns an exit code from enum exit_code. argv[0] is the
 * sub-command name. */
int cmd_init(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_coordinator(int argc, char **argv);
int cmd_demo_agent(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_top(int argc, char **argv);
/* The built-in agent CMD names, if CMD is this binary or its `swarm` front
 * ("swarm demo-agent ..."), so it can run without exec; NULL otherwise or
 * when SWARM_NO_APPLET is set. */
int (*cli_applet(char *const *argv))(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_soak(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* --- user/cli/cli_util.c (in libswarm so tests and tools can use it) --- */
struct bus;

/* One clear line on stderr, prefixed "swarm: ". */
void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a negative errno from the bus to an exit code. */
int exit_code_for(int err);
/* Open the bus named by --dir (or $SWARM_DIR when dir is NULL); prints the
 * error line itself. Returns 0 or an exit code. */
int cli_open_bus(const char *dir, struct bus **out);
/* The running swarm a control command (status, pause, resume, top) names:
 * --dir DIR (dir_opt), else a bare ID -- the id `swarm run` gives its
 * agents as SWARM_ID, "swarm-ID" as ls /dev/shm shows it, or the --swarm
 * name under NATS -- under $SWARM_SHM or /dev/shm, else $SWARM_DIR.
 * argv[first..] are the arguments left after the options (at most one).
 * Sets *dir (buf holds it for an ID). Returns 0, or an exit code after
 * printing why. */
int cli_swarm_dir(const char *what, const char *dir_opt, int argc, char **argv,
		  int first, const char **dir, char *buf, size_t len);
/* --as / --from, or $SWARM_AGENT; NULL (after an error line) if missing
 * or invalid. `what` names the option in the message. */
const char *cli_agent(const char *opt, const char *what);
/* "data", "task", ... or a number; -1 if unknown. */
int msg_type_parse(const char *s);
const char *msg_type_name(unsigned type);

#endif
