/* Where the two halves of swarm find each other: the `swarm` front (libc
 * only, what agents exec) and swarm-core (run, coordinator, soak, doctor).
 * From a checkout both sit in build/; installed, the front is in
 * $(PREFIX)/bin and swarm-core in $(PREFIX)/libexec/swarm. */
#ifndef SWARM_CORE_PATH_H
#define SWARM_CORE_PATH_H

#include <stddef.h>

/* The running executable's absolute path (/proc/self/exe). 0 or -errno. */
int swarm_self_path(char *buf, size_t len);
/* swarm-core beside the running executable, or in ../libexec/swarm from
 * it. 0, -ENOENT when neither exists, or -errno. */
int swarm_core_path(char *buf, size_t len);
/* The `swarm` front the agents should call: $SWARM_BIN when it names an
 * executable, else `swarm` beside swarm-core (checkout) or in ../../bin
 * from libexec/swarm (installed), else the running executable. */
int swarm_front_path(char *buf, size_t len);
/* For the agents we start (and the command we resolve): SWARM_BIN names
 * that front, and its directory goes first on PATH (unless it is first
 * already), so `swarm send ...` in an agent works from a checkout. 0 or
 * -errno; the environment is left as it was on failure. */
int swarm_export_front(void);

#endif
