/* Kernel checks: version, BTF, lockdown, tracefs, cgroup v2. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "doctor_checks.h"
#include "doctor_container.h"
#include "tracefs.h"

static void kernel_check(struct doctor_report *r)
{
	struct utsname u;
	unsigned maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &maj, &min) != 2) {
		check_add(r, "kernel", DOCTOR_WARN, "run on Linux >= 5.15",
			  "cannot read the kernel version");
		return;
	}
	if (maj > 5 || (maj == 5 && min >= 15))
		check_add(r, "kernel", DOCTOR_OK, NULL, "Linux %s %s", u.release, u.machine);
	else
		check_add(r, "kernel", DOCTOR_WARN,
			  "use Linux >= 5.15 (CAP_BPF, ring buffers and cgroup.kill need 5.8-5.14)",
			  "Linux %s: older than 5.15; the bus works, BPF signals and cgroup.kill "
			  "may not", u.release);
}

static void btf_check(struct doctor_report *r)
{
	struct stat st;
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		check_add(r, "btf", DOCTOR_WARN,
			  "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (all major distributions "
			  "since 2020); in a container, bind-mount /sys/kernel/btf read-only",
			  "/sys/kernel/btf/vmlinux: %s; CO-RE BPF programs cannot load, BPF "
			  "signals off", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	check_add(r, "btf", DOCTOR_OK, NULL, "/sys/kernel/btf/vmlinux readable (%lld KiB)",
		  (long long)st.st_size / 1024);
}

static void lockdown_check(struct doctor_report *r)
{
	char buf[128] = "", mode[32] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");
	const char *b;

	if (!f) {
		check_add(r, "lockdown", DOCTOR_OK, NULL,
			  "no /sys/kernel/security/lockdown (no lockdown LSM, or securityfs not "
			  "mounted): not restricted");
		return;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	b = strchr(buf, '[');
	if (!b || sscanf(b + 1, "%31[a-z]", mode) != 1)
		snprintf(mode, sizeof(mode), "unknown");
	if (!strcmp(mode, "confidentiality"))
		check_add(r, "lockdown", DOCTOR_WARN,
			  "boot with lockdown=integrity or none (often set by Secure Boot)",
			  "lockdown=confidentiality: BPF may not read kernel memory; BPF "
			  "signals off");
	else
		check_add(r, "lockdown", DOCTOR_OK, NULL,
			  "lockdown=%s%s", mode, !strcmp(mode, "integrity") ?
			  " (blocks only bpf_probe_write_user, which swarm does not use)" : "");
}

static void tracefs_check(struct doctor_report *r)
{
	char dir[1024];
	int err;

	if (!tracefs_dir(dir, sizeof(dir))) {
		check_add(r, "tracefs", DOCTOR_OK, NULL, "mounted at %s", dir);
		return;
	}
	err = tracefs_mountable();
	if (!err)
		check_add(r, "tracefs", DOCTOR_OK, NULL,
			  "not mounted, but mountable here (swarm mounts it at "
			  TRACEFS_PATH " when it loads its tracepoints)");
	else
		check_add(r, "tracefs", DOCTOR_WARN,
			  "mount it on the host (mount -t tracefs nodev " TRACEFS_PATH
			  ") and bind-mount it into the container, or grant CAP_SYS_ADMIN",
			  "not mounted and cannot mount it (%s): tracefs tracepoints (bpftrace, "
			  "perf, the bpf_tracepoint probe) cannot find their events; swarm's "
			  "signals are raw tracepoints and do not need it", strerror(-err));
}

static int file_exists(const char *dir, const char *name)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* A group just emptied by a reaped process can be busy for a moment. */
static void cgroup_rmdir(const char *dir)
{
	int i;

	for (i = 0; i < 100 && rmdir(dir) && errno == EBUSY; i++)
		usleep(1000);
}

/* Make and remove a child group where swarm would make its own, and see
 * whether cgroup.kill and cgroup.freeze come with it. */
static void cgroup_check(struct doctor_report *r)
{
	char root[1024], dir[2048], child[4096];
	int kill_ok, freeze_ok, place;
	const char *step;

	if (own_cgroup_v2(root, sizeof(root), dir, sizeof(dir))) {
		check_add(r, "cgroup", DOCTOR_WARN,
			  "mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup/unified) or boot "
			  "with systemd.unified_cgroup_hierarchy=1; in a container on a host with "
			  "v1 controllers (Docker mounts no cgroup2 there): docker run "
			  "--cgroupns=private --cap-add SYS_ADMIN, then mkdir -p "
			  "/sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified "
			  "inside",
			  "no cgroup v2 hierarchy: swarm falls back to process groups (orphaned "
			  "grandchildren are not killed)");
		return;
	}
	snprintf(child, sizeof(child), "%s/swarm-doctor-%d", dir, (int)getpid());
	if (mkdir(child, 0755)) {
		check_add(r, "cgroup", DOCTOR_WARN,
			  "make the cgroup writable: docker --cgroupns=private with a rw cgroup "
			  "mount, systemd Delegate=yes, or run as root",
			  "cgroup v2 at %s, own group %s, cannot create a child (%s): swarm "
			  "falls back to process groups", root, dir, strerror(errno));
		return;
	}
	kill_ok = file_exists(child, "cgroup.kill");
	freeze_ok = file_exists(child, "cgroup.freeze");
	/* Delegation is more than mkdir: agents must be movable into it. */
	place = doctor_cgroup_place(child, kill_ok, &step);
	cgroup_rmdir(child);
	if (place) {
		check_add(r, "cgroup", DOCTOR_WARN,
			  "delegate the subtree (systemd Delegate=yes; a container's own cgroup "
			  "namespace with a writable mount: docker --cgroupns=private), or run "
			  "as root",
			  "cgroup v2 at %s: a child group can be made in %s, but %s failed (%s): "
			  "agents would not be placed in the swarm's group, swarm falls back to "
			  "process groups", root, dir, step, strerror(-place));
		return;
	}
	check_add(r, "cgroup", kill_ok && freeze_ok ? DOCTOR_OK : DOCTOR_WARN,
		  "use Linux >= 5.14 for cgroup.kill (5.2 for cgroup.freeze)",
		  "cgroup v2 at %s, child groups can be made in %s and a process moved into "
		  "one%s; cgroup.kill %s, cgroup.freeze %s", root, dir,
		  kill_ok ? " and ended by cgroup.kill" : "", kill_ok ? "yes" : "NO (kill walks "
		  "cgroup.procs instead)", freeze_ok ? "yes" : "NO");
}

void doctor_kernel_checks(struct doctor_report *r)
{
	kernel_check(r);
	btf_check(r);
	lockdown_check(r);
	tracefs_check(r);
	cgroup_check(r);
}
