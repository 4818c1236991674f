/*
 * Privileges of a swarm run.
 *
 * The master needs root for a moment: to load and attach the BPF programs,
 * to mount tracefs, to bind a metrics port. After that it drops what it no
 * longer needs (libcap-ng), keeping the BPF map fds it already holds:
 *
 *   without --user   every capability goes: effective, permitted,
 *                    inheritable, ambient and the bounding set, so not even
 *                    an agent that execs a setuid-root binary gets one back.
 *                    The master and its agents stay uid 0 without powers.
 *   with --user NAME the master keeps CAP_SETUID and CAP_SETGID (each agent
 *                    and coordinator becomes NAME between clone and exec)
 *                    and CAP_KILL (to stop NAME's processes), nothing else,
 *                    bounding set included. Its file system uid becomes
 *                    NAME's, so the bus and the logs it creates from then on
 *                    belong to NAME, mode 0700: readable by the swarm's owner
 *                    (NAME, whose agents must use them) and nobody else.
 *                    Root-owned cgroup files are reached by switching the
 *                    file system uid back to 0 around each cgroup call
 *                    (priv_fs_root/priv_fs_restore): an owner's access, no
 *                    capability needed.
 */
#ifndef SWARM_PRIV_H
#define SWARM_PRIV_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define PRIV_MAX_GROUPS 64

struct priv_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	int ngroups;                     /* supplementary groups */
	gid_t groups[PRIV_MAX_GROUPS];
	char home[PATH_MAX];
};

/* Look up NAME (or a numeric uid) in the user database: 0, -ENOENT (no
 * such user), -EINVAL (bad name), -E2BIG (too many groups). */
int priv_user_lookup(const char *name, struct priv_user *u);

/* 1 if the user can execute path (checked by a child that has become the
 * user), 0 if not, -errno if the check itself failed. */
int priv_user_can_exec(const struct priv_user *u, const char *path);

/* 0 when the process may hand agents to another user (CAP_SETUID and
 * CAP_SETGID), else -EPERM. Which capabilities we hold: user/base/caps.h. */
int priv_can_switch_user(void);

/* Before a --user run: we can switch to u, u can execute cmd (the agents'
 * command, NULL: a built-in agent) and exe (this binary, when coordinators
 * run it; NULL: none). 0, or -EPERM / -EACCES / -errno with one line in
 * why. */
int priv_check_user(const struct priv_user *u, const char *cmd,
		    const char *exe, char *why, size_t len);

/* The drop described above (u NULL: no --user). Sets HOME, USER and
 * LOGNAME to the user's for the agents. Idempotent. 1 if something was
 * dropped, 0 if there was nothing to drop (an unprivileged caller), or
 * -errno. */
int priv_drop(const struct priv_user *u);

/* Keep only the capabilities keep[0..n) (CAP_* numbers), drop every other
 * one, bounding set included (swarm-trace after attaching). 1 dropped, 0
 * nothing to drop, -EPERM if one to keep is not held, -errno. */
int priv_keep_only(const int *keep, size_t n);

/* File system uid and gid switched to uid/gid for a while (no-op when they
 * already are); returns what priv_fs_restore puts back. Root's gc judges
 * another user's bus this way. */
struct priv_fs {
	uid_t uid;
	gid_t gid;
	int changed;
};
struct priv_fs priv_fs_switch(uid_t uid, gid_t gid);
/* Around a cgroup call: priv_fs_switch(0, 0). */
struct priv_fs priv_fs_root(void);
void priv_fs_restore(struct priv_fs saved);
/* The current file system uid (owner checks of the bus compare with it). */
uid_t priv_fs_uid(void);

/* In a freshly cloned child, before exec: become u for good (groups, gid,
 * uid; raw system calls only, the child may be a copy of a threaded
 * parent). 0 or -errno. */
int priv_child_become(const struct priv_user *u);

/* A short description of the process's capability sets for reports:
 * "none" or a comma list like "kill,setgid,setuid". */
void priv_describe(char *buf, size_t len);

#endif
