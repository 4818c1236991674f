/* Dropping root after the privileged setup, and running agents as another
 * user (see user/base/priv.h for the model). */
#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "priv.h"
#include "util.h"

static int fill_user(const struct passwd *pw, struct priv_user *u)
{
	int n = PRIV_MAX_GROUPS;

	if (strlen(pw->pw_name) >= sizeof(u->name) ||
	    strlen(pw->pw_dir) >= sizeof(u->home))
		return -ENAMETOOLONG;
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	/* What login would give the user: its primary group and the groups
	 * that list it; root's own groups never reach an agent. */
	if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &n) < 0)
		return -E2BIG;
	u->ngroups = n;
	return 0;
}

int priv_user_lookup(const char *name, struct priv_user *u)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	uint64_t id;
	int err;

	if (!name || !*name || strlen(name) >= sizeof(u->name))
		return -EINVAL;
	if (parse_u64(name, &id) == 0) {
		if (id >= (uid_t)-1)
			return -EINVAL;
		err = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
	} else {
		err = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	}
	if (err)
		return -err;
	if (!res)
		return -ENOENT;
	return fill_user(res, u);
}

int priv_child_become(const struct priv_user *u)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2];

	/* Groups first: after the uid changes we may no longer. */
	if (syscall(SYS_setgroups, (size_t)u->ngroups, u->groups) < 0 ||
	    syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0 ||
	    syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
		return -errno;
	/* Leaving uid 0 cleared every capability; say so explicitly rather
	 * than rely on it (a built-in agent never execs). */
	memset(none, 0, sizeof(none));
	if (syscall(SYS_capset, &h, none) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	/* The uid change made us undumpable, which would hide a built-in
	 * agent (no exec to reset it) from its owner's /proc and from the
	 * soak sampler. It now holds nothing but the user's credentials. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int priv_user_can_exec(const struct priv_user *u, const char *path)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (priv_child_become(u))
			_exit(2);
		_exit(access(path, X_OK) == 0 ? 0 : 1);
	}
	if (RETRY_EINTR(waitpid(pid, &st, 0)) < 0)
		return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 2)
		return -EPERM;
	return WEXITSTATUS(st) == 0;
}

int priv_check_user(const struct priv_user *u, const char *cmd,
		    const char *exe, char *why, size_t len)
{
	const char *need[2] = { cmd, exe };
	size_t i;
	int r;

	if (priv_can_switch_user()) {
		snprintf(why, len, "--user %s needs root (CAP_SETUID and CAP_SETGID)",
			 u->name);
		return -EPERM;
	}
	for (i = 0; i < 2; i++) {
		if (!need[i] || (r = priv_user_can_exec(u, need[i])) == 1)
			continue;
		snprintf(why, len, "--user %.32s cannot execute %.120s%s", u->name,
			 need[i], i ? " (coordinators run this binary: install it "
				      "where that user can reach it)" : "");
		return r < 0 ? r : -EACCES;
	}
	return 0;
}

/* Judged by the capabilities in effect: an unprivileged caller's full
 * bounding set gives it nothing. */
static int nothing_to_drop(void)
{
	uint64_t eff;

	return !caps_effective(&eff) && !eff;
}

/* Keep only keep[0..n) (effective and permitted), clear everything else,
 * bounding set included. 1 dropped, 0 nothing to drop, -errno. */
static int keep_only(const int *keep, size_t n)
{
	int bounds_empty;
	size_t i;

	if (capng_get_caps_process())
		return -EIO;
	if (!n && nothing_to_drop())
		return 0;   /* an unprivileged run, or a second round of soak */
	bounds_empty = capng_have_capabilities(CAPNG_SELECT_BOUNDS) == CAPNG_NONE;
	capng_clear(CAPNG_SELECT_ALL);
	for (i = 0; i < n; i++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep[i]))
			return -EIO;
	/* Clearing the bounding set needs CAP_SETPCAP, which we still hold
	 * the first time; later calls find it already empty. */
	if (capng_apply(bounds_empty ? CAPNG_SELECT_CAPS : CAPNG_SELECT_ALL))
		return -EPERM;
	/* Without CAP_SETPCAP (a container, a unit that drops it) libcap-ng
	 * leaves the bounding set as it was, and a uid-0 child would take it
	 * all back at exec. no_new_privs caps what exec can grant at what
	 * the process already has. */
	if (capng_get_caps_process() ||
	    (capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE &&
	     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0))
		return -EPERM;
	return 1;
}

int priv_keep_only(const int *keep, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!caps_have(keep[i]))
			return -EPERM;   /* cannot keep what we do not have */
	return keep_only(keep, n);
}

int priv_drop(const struct priv_user *u)
{
	static const int user_caps[] = { CAP_SETUID, CAP_SETGID, CAP_KILL };
	int r = u ? keep_only(user_caps, 3) : keep_only(NULL, 0);

	if (r <= 0 || !u)
		return r;
	/* Files in NAME's bus and logs are reached with NAME's groups, not
	 * root's (adm, shadow...). */
	if (setgroups((size_t)u->ngroups, u->groups) < 0)
		return -errno;
	setfsgid(u->gid);
	setfsuid(u->uid);
	if (priv_fs_uid() != u->uid)
		return -EPERM;
	if (setenv("HOME", u->home, 1) || setenv("USER", u->name, 1) ||
	    setenv("LOGNAME", u->name, 1))
		return -errno;
	return 1;
}

void priv_describe(char *buf, size_t len)
{
	char *t;

	if (capng_get_caps_process() ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE) {
		snprintf(buf, len, "none");
		return;
	}
	t = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
	snprintf(buf, len, "%s", t ? t : "?");
	free(t);
}
