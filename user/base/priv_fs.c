/* File-system ids, and whether we may hand agents to another user (gc
 * asks it too). No libcap-ng here: the agent's commands (swarm
 * send/recv/gc) link this and must load nothing but libc. */
#include <errno.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "caps.h"
#include "priv.h"

int priv_can_switch_user(void)
{
	return caps_have(CAP_SETUID) && caps_have(CAP_SETGID) ? 0 : -EPERM;
}

uid_t priv_fs_uid(void)
{
	/* An invalid id changes nothing and returns the current one. */
	return (uid_t)setfsuid((uid_t)-1);
}

struct priv_fs priv_fs_switch(uid_t uid, gid_t gid)
{
	struct priv_fs s = { .uid = priv_fs_uid(),
			     .gid = (gid_t)setfsgid((gid_t)-1) };

	s.changed = s.uid != uid || s.gid != gid;
	if (s.changed) {
		setfsgid(gid);
		setfsuid(uid);
	}
	return s;
}

struct priv_fs priv_fs_root(void)
{
	return priv_fs_switch(0, 0);
}

void priv_fs_restore(struct priv_fs s)
{
	if (s.changed) {
		setfsgid(s.gid);
		setfsuid(s.uid);
	}
}

