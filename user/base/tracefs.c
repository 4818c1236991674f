/* Finding and mounting tracefs (user/base/tracefs.h). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "tracefs.h"
#include "util.h"

int tracefs_dir(char *out, size_t len)
{
	return proc_find_mount("tracefs", NULL, out, len);
}

/* A private copy of the mount table first (MS_PRIVATE recursively: the
 * mount must not propagate back to the host's), then tracefs in it. */
static int mount_private(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("nodev", TRACEFS_PATH, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

int tracefs_find_or_mount(char *out, size_t len)
{
	int err;

	if (!tracefs_dir(out, len))
		return 0;
	snprintf(out, len, "%s", TRACEFS_PATH);
	err = mount_private();
	return err ? err : 1;
}

int tracefs_mountable(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(-mount_private() & 0xff);
	if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}
